"""Auto-tagging throughput and latency on a stream of CloudTrail records.

    .venv/bin/python -m bench.tagging.autotag [--records 100000] [--create-share 0.2]

Records (mixed: 20 % creates across EC2, S3, RDS, Lambda, DynamoDB, SNS, SQS, KMS, ECS, Logs; the
rest reads and non-create writes; a few failed calls) are written as gzipped CloudTrail log files,
then read back, parsed, planned and tagged in micro-batches, as ``tags autotag`` does. The tagging
calls go to a recording HTTP receiver on 127.0.0.1 (boto3 ``endpoint_url``), not to moto, so the
figure measures assetguard. Latency = receiver arrival time − the moment the record was parsed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGIONS = ("eu-west-1", "us-east-1")
USERS = ("alice", "bob", "carol", "deploy-bot", "ci")


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.arrivals: dict[str, float] = {}
        self.calls = 0
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        now = time.perf_counter()
        arns: list[str] = []
        try:
            doc = json.loads(body or b"{}")
            arns = doc.get("ResourceARNList") or [doc.get("resourceArn") or doc.get("logGroupName") or ""]
        except ValueError:
            pass
        server: Receiver = self.server  # type: ignore[assignment]
        with server.lock:
            server.calls += 1
            for arn in arns:
                server.arrivals.setdefault(arn, now)
        out = b'{"FailedResourcesMap": {}}'
        # One write for head and body: separate small writes meet Nagle + delayed ACK (40 ms stalls).
        self.wfile.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\n"
                         b"content-length: %d\r\n\r\n%s" % (len(out), out))

    def log_message(self, *_args: Any) -> None:
        return


def make_record(i: int, rng: random.Random, create_share: float, t0: float) -> tuple[dict[str, Any], str | None]:
    region = REGIONS[i % 2]
    user = USERS[rng.randrange(len(USERS))]
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i // 500))
    base = {"eventVersion": "1.09", "eventTime": when, "awsRegion": region, "recipientAccountId": ACCOUNT,
            "eventID": f"bench-{i}", "userAgent": "aws-cli/2", "sourceIPAddress": "198.51.100.1",
            "userIdentity": {"type": "IAMUser", "userName": user, "accountId": ACCOUNT,
                             "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}"}}
    if rng.random() >= create_share:
        name = rng.choice(("DescribeInstances", "GetObject", "ListBuckets", "PutObject", "AssumeRole"))
        rec = {**base, "eventSource": "ec2.amazonaws.com", "eventName": name, "readOnly": name.startswith(("D", "G", "L"))}
        if rng.random() < 0.02:
            rec["errorCode"] = "AccessDenied"
        return rec, None
    kind = i % 10
    a = f"{region}:{ACCOUNT}"
    if kind == 0:
        return {**base, "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
                "responseElements": {"instancesSet": {"items": [{"instanceId": f"i-{i:08x}"}]}}}, \
            f"arn:aws:ec2:{a}:instance/i-{i:08x}"
    if kind == 1:
        return {**base, "eventSource": "ec2.amazonaws.com", "eventName": "CreateVolume",
                "responseElements": {"volumeId": f"vol-{i:08x}"}}, f"arn:aws:ec2:{a}:volume/vol-{i:08x}"
    if kind == 2:
        return {**base, "eventSource": "s3.amazonaws.com", "eventName": "CreateBucket",
                "requestParameters": {"bucketName": f"b-{i}"}}, f"arn:aws:s3:::b-{i}"
    if kind == 3:
        arn = f"arn:aws:rds:{a}:db:db{i}"
        return {**base, "eventSource": "rds.amazonaws.com", "eventName": "CreateDBInstance",
                "responseElements": {"dBInstanceArn": arn}}, arn
    if kind == 4:
        arn = f"arn:aws:lambda:{a}:function:f{i}"
        return {**base, "eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction20150331",
                "responseElements": {"functionArn": arn}}, arn
    if kind == 5:
        arn = f"arn:aws:dynamodb:{a}:table/t{i}"
        return {**base, "eventSource": "dynamodb.amazonaws.com", "eventName": "CreateTable",
                "responseElements": {"tableDescription": {"tableArn": arn}}}, arn
    if kind == 6:
        arn = f"arn:aws:sns:{a}:topic{i}"
        return {**base, "eventSource": "sns.amazonaws.com", "eventName": "CreateTopic",
                "responseElements": {"topicArn": arn}}, arn
    if kind == 7:
        return {**base, "eventSource": "sqs.amazonaws.com", "eventName": "CreateQueue",
                "responseElements": {"queueUrl": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/q{i}"}}, \
            f"arn:aws:sqs:{a}:q{i}"
    if kind == 8:
        arn = f"arn:aws:ecs:{a}:cluster/c{i}"
        return {**base, "eventSource": "ecs.amazonaws.com", "eventName": "CreateCluster",
                "responseElements": {"cluster": {"clusterArn": arn}}}, arn
    return {**base, "eventSource": "logs.amazonaws.com", "eventName": "CreateLogGroup",
            "requestParameters": {"logGroupName": f"/app/{i}"}}, f"/app/{i}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--create-share", type=float, default=0.2)
    parser.add_argument("--batch", type=int, default=200, help="plans per apply (micro-batch)")
    parser.add_argument("--max-wait", type=float, default=0.1, help="seconds before a partial batch is flushed")
    args = parser.parse_args()

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    from assetguard.auth.principal import SYSTEM
    from assetguard.core.settings import Settings
    from assetguard.runtime.platform import Platform
    from assetguard.tagging.autotag import AutoTagger
    from assetguard.tagging.params import LocalParameterStore
    from assetguard.tagging.sources import read_path
    from assetguard.tagging.taggers import BotoClients

    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{receiver.server_address[1]}"

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="bench-secret-key-0123456789")  # type: ignore[arg-type]
        platform = Platform.create(settings)
        store = LocalParameterStore(platform)
        store.put("/assetguard/tags/default/Owner", "platform", actor=SYSTEM)
        store.put("/assetguard/tags/default/CostCenter", "100", actor=SYSTEM)

        rng = random.Random(7)
        t0 = time.time()
        logs = Path(tmp) / "logs"
        logs.mkdir()
        expected: set[str] = set()
        per_file = 1000
        for start in range(0, args.records, per_file):
            records = []
            for i in range(start, min(start + per_file, args.records)):
                rec, arn = make_record(i, rng, args.create_share, t0)
                records.append(rec)
                if arn and "errorCode" not in rec:
                    expected.add(arn)
            (logs / f"{start:08d}.json.gz").write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))

        tagger = AutoTagger(platform, clients=BotoClients(endpoint_url=endpoint, marker="assetguard-autotag"))
        arrived_at: dict[str, float] = {}
        pending = []
        last_flush = time.perf_counter()
        skipped = planned = 0
        started = time.perf_counter()
        for _where, item in read_path(logs):
            if not isinstance(item, dict):
                continue
            now = time.perf_counter()
            plan = tagger.plan(item)
            if plan.skipped:
                skipped += 1
                continue
            planned += 1
            for r in plan.resources:
                arrived_at[r.name if r.tagger == "logs" else r.arn] = now
            pending.append(plan)
            if len(pending) >= args.batch or now - last_flush >= args.max_wait:
                tagger.apply(pending)
                pending.clear()
                last_flush = time.perf_counter()
        tagger.apply(pending)
        elapsed = time.perf_counter() - started
        platform.close()

    missing = expected - set(receiver.arrivals)
    lat = sorted(receiver.arrivals[k] - arrived_at[k] for k in arrived_at if k in receiver.arrivals)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    print(f"records: {args.records} ({planned} creates planned, {skipped} skipped), cores: {os.cpu_count()}")
    print(f"elapsed: {elapsed:.2f} s  throughput: {args.records / elapsed:,.0f} records/s")
    print(f"tag calls: {receiver.calls}  resources tagged: {len(receiver.arrivals)}  missing: {len(missing)}")
    print(f"latency record→tag call: p50 {p(0.5):.0f} ms  p99 {p(0.99):.0f} ms  max {lat[-1] * 1000:.0f} ms"
          if lat else "no latency samples")
    print(f"mean calls per second: {receiver.calls / elapsed:,.0f}; mean ARNs per call: "
          f"{statistics.mean([1]) if not receiver.calls else len(receiver.arrivals) / receiver.calls:.1f}")


if __name__ == "__main__":
    main()
