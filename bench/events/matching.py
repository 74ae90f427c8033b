"""Matching throughput of the rule index on one core, at 10 / 100 / 1,000 / 10,000 rules.

Rules are realistic EventBridge patterns: a source, usually a detail-type, then severity lists,
resource-ARN prefixes, numeric ranges, anything-but and the odd ``$or``. Events are ~1 KB
envelopes (findings, configuration changes, CloudTrail calls, budget alerts). One process, one
thread; the events are parsed from JSON before timing (``json.loads`` cost is reported
separately), so, as in a worker, none of their strings is an object the rules also hold.

The four rule counts are measured in interleaved rounds (each round times every count for a
slice of the budget, in a rotated order; 25 rounds of 0.12 s in a full run) and each count
reports its median round. The machine's speed drifts by up to 2x between minutes, so timing the
counts one after another for seconds each biased ``ratio_10k_to_10`` by whichever way the
machine drifted; interleaving puts every count under the same drift.

    .venv/bin/python -m bench.events.matching            # full run (3 s of timing per rule count)
    .venv/bin/python -m bench.events.matching --quick    # smaller samples
    .venv/bin/python -m bench.events.matching --engines native,python   # both walks, same rounds

The rule index walks its trie natively when the optional C extension is built, else with
generated Python visitors (``assetguard.events.native_nodes``); ``--engines`` times both in the
same interleaved rounds, so their figures compare under the same machine speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import random
import statistics
import time
from typing import Any

from assetguard.events.machine import RuleMachine
from assetguard.events.native_nodes import use_native
from assetguard.events.pattern import compile_pattern

SERVICES = ["ec2", "s3", "iam", "rds", "lambda", "ecs", "eks", "kms", "sqs", "sns", "dynamodb", "cloudtrail",
            "config", "guardduty", "inspector2", "securityhub", "waf", "elb", "route53", "cloudfront"]
SOURCES = [f"aws.{s}" for s in SERVICES] + [f"assetguard.{d}" for d in
                                           ("inventory", "findings", "compliance", "vulns", "cost", "waf",
                                            "tagging", "remediation")] + [f"custom.app{i}" for i in range(12)]
DETAIL_TYPES = ["AWS API Call via CloudTrail", "Asset Configuration Change", "Findings - Imported",
                "Compliance Rule Evaluation Change", "Vulnerability Detected", "Budget Threshold Breached",
                "WAF Request Blocked", "Resource Tagged", "Remediation Execution Status Change"] + \
               [f"Custom Event {i}" for i in range(51)]
SEVERITIES = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
EVENT_NAMES = ["CreateBucket", "RunInstances", "CreateRole", "PutBucketPolicy", "CreateFunction", "DeleteTrail",
               "AuthorizeSecurityGroupIngress", "CreateDBInstance", "CreateKey", "CreateQueue"] + \
              [f"{verb}{noun}" for verb in ("Create", "Delete", "Update", "Put", "Attach", "Detach", "Modify")
               for noun in ("Policy", "User", "Group", "Volume", "Snapshot", "Table", "Topic", "Cluster", "Stack",
                            "Alarm", "Rule", "Role", "Image", "Key", "Secret", "Trail", "Bucket", "Function",
                            "Queue", "Subnet", "Vpc", "Gateway", "Listener", "Certificate", "Domain", "Repository")]
ACCOUNTS = [f"{100000000000 + i * 7919:012d}" for i in range(500)]


def make_rule(rng: random.Random) -> dict[str, Any]:
    source = rng.choice(SOURCES)
    pattern: dict[str, Any] = {"source": [source]}
    if rng.random() < 0.85:
        pattern["detail-type"] = [rng.choice(DETAIL_TYPES)]
    detail: dict[str, Any] = {}
    # Most rules at scale are about one account, API call or resource family; some are broad.
    scope = rng.random()
    if scope < 0.35:
        pattern["account"] = [rng.choice(ACCOUNTS)]
    elif scope < 0.6:
        detail["eventName"] = rng.sample(EVENT_NAMES, rng.randint(1, 3))
    elif scope < 0.8:
        account = rng.choice(ACCOUNTS)
        detail["resourceArn"] = [{"prefix": f"arn:aws:{rng.choice(SERVICES)}:{rng.choice(REGIONS)}:{account}:"}]
    kind = rng.random()
    if kind < 0.3:
        detail["severity"] = rng.sample(SEVERITIES, rng.randint(1, 2))
    elif kind < 0.45:
        detail["resourceArn"] = [{"prefix": f"arn:aws:{rng.choice(SERVICES)}:{rng.choice(REGIONS)}:"}]
    elif kind < 0.6:
        lo = rng.randint(0, 80)
        detail["score"] = [{"numeric": [">=", lo, "<", lo + rng.randint(5, 20)]}]
    elif kind < 0.7:
        detail["state"] = [{"anything-but": ["DELETED", "ARCHIVED"]}]
    elif kind < 0.8:
        detail["region"] = [{"wildcard": f"{rng.choice(['us', 'eu', 'ap'])}-*-1"}]
    elif kind < 0.9:
        pattern["$or"] = [{"region": [rng.choice(REGIONS)]}, {"detail": {"severity": ["CRITICAL"]}}]
    else:
        detail["user"] = [{"equals-ignore-case": f"USER-{rng.randint(0, 50)}"}]
    if detail:
        pattern["detail"] = detail
    return pattern


def make_event(rng: random.Random, i: int) -> dict[str, Any]:
    service = rng.choice(SERVICES)
    region = rng.choice(REGIONS)
    account = rng.choice(ACCOUNTS)
    event = {
        "version": "0", "id": f"{i:08d}-7bf7-4cd3-a780-95db273d1602", "detail-type": rng.choice(DETAIL_TYPES[:12]),
        "source": rng.choice(SOURCES[:32]), "account": account, "time": "2026-11-29T12:00:00Z",
        "region": region, "resources": [f"arn:aws:{service}:{region}:{account}:thing/{i}"],
        "detail": {
            "severity": rng.choice(SEVERITIES), "score": rng.randint(0, 100), "state": rng.choice(["ACTIVE", "DELETED"]),
            "eventName": rng.choice(EVENT_NAMES), "user": f"user-{rng.randint(0, 50)}", "region": region,
            "resourceArn": f"arn:aws:{service}:{region}:{account}:thing/{i}",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/dev/alice",
                             "principalId": "AROAEXAMPLE:alice"},
            "requestParameters": {"bucketName": f"bucket-{i}", "tags": [{"key": "team", "value": "platform"}]},
            "findings": [{"Id": f"f-{i}", "Title": "Port 22 open to the world", "Severity": {"Label": "HIGH"}}],
        },
    }
    pad = 1024 - len(json.dumps(event))
    if pad > 0:
        event["detail"]["note"] = "x" * pad
    return event


def measure(machine: RuleMachine, events: list[dict[str, Any]], seconds: float) -> dict[str, float]:
    """Events per CPU-second of this process (one thread, so one core) and per wall-clock second.

    The development machine is shared (load average often above 5 on 2 cores): wall-clock rates
    include time the scheduler gave to other processes, CPU time does not.
    """
    matched = 0
    done = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        for event in events:
            matched += len(machine.match(event))
        done += len(events)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"cpu_rate": done / cpu, "wall_rate": done / wall, "matches_per_event": matched / done}


COUNTS = (10, 100, 1_000, 10_000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=None, help="time budget per rule count")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (median reported)")
    parser.add_argument("--engines", default=None,
                        help="comma-separated rule-index walks to time in the same rounds: native, python "
                             "(default: the one RuleMachine picks, native when the extension is built)")
    args = parser.parse_args()
    seconds = args.seconds or (1.0 if args.quick else 3.0)
    rounds = args.rounds or (5 if args.quick else 25)
    engines: list[str | None] = [e.strip() for e in args.engines.split(",")] if args.engines else [None]
    rng = random.Random(42)
    texts = [json.dumps(make_event(rng, i)) for i in range(2000)]
    size = sum(len(t) for t in texts) / len(texts)
    start = time.perf_counter()
    for t in texts:
        json.loads(t)
    parse_rate = len(texts) / (time.perf_counter() - start)
    # Matched as a worker gets them: parsed from JSON, so no string is shared with the rules'
    # (a generated event's strings would be the very objects the rules were built from).
    events = [json.loads(t) for t in texts]
    all_rules = [make_rule(random.Random(7 + i)) for i in range(10_000)]
    machines: dict[tuple[str | None, int], RuleMachine] = {}
    builds: dict[tuple[str | None, int], float] = {}
    for engine in engines:
        for count in COUNTS:
            t0 = time.perf_counter()
            machine = RuleMachine(engine=engine)
            for i, pattern in enumerate(all_rules[:count]):
                machine.add(f"rule-{i}", compile_pattern(pattern))
            machine.freeze()
            builds[engine, count] = time.perf_counter() - t0
            machines[engine, count] = machine
    keys = list(machines)
    results: dict[tuple[str | None, int], list[dict[str, float]]] = {key: [] for key in keys}
    for r in range(rounds):
        shift = r % len(keys)
        for key in keys[shift:] + keys[:shift]:
            results[key].append(measure(machines[key], events, seconds / rounds))
    for engine in engines:
        name = engine or ("native" if use_native() else "python")
        rows = []
        for count in COUNTS:
            found = results[engine, count]
            cpu = statistics.median(x["cpu_rate"] for x in found)
            wall = statistics.median(x["wall_rate"] for x in found)
            rows.append({"rules": count, "engine": name, "events_per_cpu_s": round(cpu),
                         "events_per_wall_s": round(wall), "matches_per_event": round(found[0]["matches_per_event"], 3),
                         "build_s": round(builds[engine, count], 3)})
            print(json.dumps(rows[-1]), flush=True)
        key = "events_per_cpu_s"
        # Rounds see nearly the same machine speed for every count, so the per-round ratios show
        # the spread that is left after interleaving.
        per_round = sorted(a["cpu_rate"] / b["cpu_rate"]
                           for a, b in zip(results[engine, COUNTS[-1]], results[engine, COUNTS[0]], strict=True))
        print(json.dumps({"engine": name, "event_bytes": round(size), "json_loads_per_s": round(parse_rate),
                          "ratio_10k_to_10": round(rows[-1][key] / rows[0][key], 2),
                          "ratio_1k_to_10": round(rows[2][key] / rows[0][key], 2),
                          "ratio_10k_to_10_rounds": [round(per_round[0], 2), round(statistics.median(per_round), 2),
                                                     round(per_round[-1], 2)],
                          "rounds": rounds, "load_average": os.getloadavg()[0], "python": host.python_version()}))


if __name__ == "__main__":
    main()
