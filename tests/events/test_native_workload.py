"""The native walk and the generated Python visitors agree rule for rule on the matching
benchmark's workload (source / detail-type tries, prefixes, numeric ranges, anything-but,
wildcards, ``$or``) and on variants of its events that leave the fast paths: arrays, numbers
where strings were, capitals for equals-ignore-case, absent fields."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from bench.events.matching import make_event, make_rule

from assetguard.events import native_nodes
from assetguard.events.machine import RuleMachine
from assetguard.events.pattern import compile_pattern

pytestmark = pytest.mark.skipif(not native_nodes.AVAILABLE, reason="assetguard.events._native is not built")


def variants(event: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    out = [event]
    detail = event["detail"]
    for change in ("list", "number", "upper", "absent", "float"):
        e = copy.deepcopy(event)
        d = e["detail"]
        if change == "list":
            d["severity"] = [detail["severity"], rng.choice(["LOW", "CRITICAL"])]
            d["resourceArn"] = [detail["resourceArn"], "arn:aws:s3:eu-west-1:"]
            e["source"] = [event["source"], "aws.ec2"]
        elif change == "number":
            d["user"] = 7
            d["region"] = 3.5
            e["account"] = int(event["account"])
        elif change == "upper":
            d["user"] = detail["user"].upper()
            d["state"] = "Deleted"
        elif change == "absent":
            for key in ("score", "state", "region", "user"):
                d.pop(key)
        else:
            d["score"] = detail["score"] + 0.5
        out.append(e)
    return out


def test_walks_agree_on_the_benchmark_workload() -> None:
    patterns = [compile_pattern(make_rule(random.Random(7 + i))) for i in range(3000)]
    machines = {}
    for engine in ("native", "python"):
        machine = RuleMachine(engine=engine)
        for i, pattern in enumerate(patterns):
            machine.add(f"rule-{i}", pattern)
        machines[engine] = machine.freeze()
    rng = random.Random(42)
    matched = 0
    for i in range(300):
        # Through JSON, as a worker gets them: no string is shared with the rules, so lookups
        # compare text, not identity.
        for event in variants(json.loads(json.dumps(make_event(rng, i))), rng):
            native = machines["native"].match(event)
            assert len(native) == len(set(native)), event  # each name once
            assert set(native) == set(machines["python"].match(event)), event
            matched += len(native)
    assert matched > 300  # the workload does reach rules
