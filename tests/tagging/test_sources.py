"""CloudTrail record sources: log files, an S3 prefix and an SQS queue fed by EventBridge (moto)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from assetguard.core.errors import ValidationError
from assetguard.events.envelope import make_event
from assetguard.tagging.sources import parse_log_bytes, read_path, read_s3, read_sqs
from tests.tagging.corpus import CALLS, record


def _log(records: list[object]) -> bytes:
    return gzip.compress(json.dumps({"Records": records}).encode())


def test_files_and_directories(tmp_path: Path) -> None:
    s, n, q, r, _ = CALLS[0]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "1.json.gz").write_bytes(_log([record(s, n, q, r), "oops"]))
    (tmp_path / "2.json").write_text(json.dumps({"Records": [record(s, n, q, r)]}))
    (tmp_path / "notes.txt").write_text("ignored")
    items = list(read_path(tmp_path))
    assert len(items) == 3
    errors = [i for _, i in items if isinstance(i, ValidationError)]
    assert len(errors) == 1 and "1.json.gz: Records[1]" in str(errors[0])
    with pytest.raises(ValidationError, match="no such file"):
        list(read_path(tmp_path / "missing"))


def test_truncated_gzip_and_wrong_shape_are_errors_not_crashes() -> None:
    [(_, err)] = list(parse_log_bytes(_log([])[:-8], "x.json.gz"))
    assert isinstance(err, ValidationError) and "gzip" in str(err)
    [(_, err)] = list(parse_log_bytes(b'{"records": []}', "y.json"))
    assert isinstance(err, ValidationError) and '"Records" array' in str(err)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_s3_prefix(aws: None) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail")
    s, n, q, r, _ = CALLS[2]
    key = "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/29/123456789012_CloudTrail_eu-west-1_x.json.gz"
    s3.put_object(Bucket="trail", Key=key, Body=_log([record(s, n, q, r)] * 3))
    s3.put_object(Bucket="trail", Key="AWSLogs/digest.txt", Body=b"x")
    items = list(read_s3(s3, "s3://trail/AWSLogs/"))
    assert len(items) == 3 and all(isinstance(i, dict) for _, i in items)
    assert items[0][0].startswith("s3://trail/AWSLogs/123456789012/") and items[0][0].endswith("Records[0]")


def test_sqs_queue_fed_by_eventbridge(aws: None) -> None:
    sqs = boto3.client("sqs", region_name="eu-west-1")
    url = sqs.create_queue(QueueName="autotag")["QueueUrl"]
    s, n, q, r, _ = CALLS[1]
    event = make_event("aws.ec2", "AWS API Call via CloudTrail", record(s, n, q, r))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    items = list(read_sqs(sqs, url, wait=0))
    good = [i for _, i in items if isinstance(i, dict)]
    bad = [i for _, i in items if isinstance(i, ValidationError)]
    assert len(good) == 1 and good[0]["eventName"] == "CreateVolume"
    assert len(bad) == 1
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None  # all deleted
