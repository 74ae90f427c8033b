"""AWS events from an EventBridge → SQS queue enter the local bus unchanged (moto SQS)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from assetguard.events.envelope import make_event
from assetguard.runtime.platform import Platform
from assetguard.tagging.aws_events import drain_queue
from tests.tagging.corpus import CALLS, record


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("sqs", region_name="eu-west-1")


def test_queue_events_reach_the_bus_with_their_ids(platform: Platform, sqs: object) -> None:
    url = sqs.create_queue(QueueName="assetguard-events")["QueueUrl"]  # type: ignore[attr-defined]
    s, n, q, r, _ = CALLS[1]
    event = make_event("aws.ec2", "AWS API Call via CloudTrail", record(s, n, q, r), account="123456789012",
                       region="eu-west-1")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))  # type: ignore[attr-defined]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"hello": "world"}))  # type: ignore[attr-defined]
    sqs.send_message(QueueUrl=url, MessageBody="not json")  # type: ignore[attr-defined]
    counts = drain_queue(platform, sqs, url, wait=0)
    assert counts == {"forwarded": 1, "rejected": 2}
    [got] = platform.bus.recent(detail_type="AWS API Call via CloudTrail")
    assert got["id"] == event["id"] and got["source"] == "aws.ec2" and got["detail"]["eventName"] == "CreateVolume"
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")  # type: ignore[attr-defined]
