"""Where CloudTrail records come from: log files (a file, a directory, an S3 prefix) and SQS.

Every reader yields ``(where, record)`` for good records and ``(where, ValidationError)`` for
malformed ones, so one bad record or file is reported and counted while the rest still flows.

The SQS source expects an EventBridge rule in the account that forwards CloudTrail calls::

    aws events put-rule --name assetguard-autotag \\
      --event-pattern '{"detail-type":["AWS API Call via CloudTrail"]}'
    aws events put-targets --rule assetguard-autotag --targets Id=q,Arn=<queue-arn>
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.tagging.cloudtrail import check_record

Item = tuple[str, "dict[str, Any] | ValidationError"]


def parse_log_bytes(data: bytes, where: str) -> Iterator[Item]:
    """One CloudTrail log file (``{"Records": [...]}``, gzipped or not)."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            yield where, ValidationError(f"not a readable gzip file: {exc}", where=where)
            return
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        yield where, ValidationError(f"invalid JSON: {exc.msg}", where=f"{where}:{exc.lineno}:{exc.colno}")
        return
    except UnicodeDecodeError as exc:
        yield where, ValidationError(f"not UTF-8 text: {exc.reason}", where=where)
        return
    records = doc.get("Records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        yield where, ValidationError('expected an object with a "Records" array', where=where)
        return
    for i, record in enumerate(records):
        place = f"{where}: Records[{i}]"
        try:
            yield place, check_record(record, place)
        except ValidationError as exc:
            yield place, exc


def read_path(path: Path) -> Iterator[Item]:
    """A log file, or every ``*.json`` / ``*.json.gz`` below a directory (sorted)."""
    if not path.exists():
        raise ValidationError("no such file or directory", where=str(path))
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()
                                                  and (p.name.endswith(".json") or p.name.endswith(".json.gz")))
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            yield str(file), ValidationError(f"cannot read: {exc.strerror}", where=str(file))
            continue
        yield from parse_log_bytes(data, str(file))


def read_s3(client: Any, uri: str) -> Iterator[Item]:
    """Every log object under ``s3://bucket/prefix``."""
    if not uri.startswith("s3://"):
        raise ValidationError("expected s3://bucket/prefix", where=uri)
    bucket, _, prefix = uri[5:].partition("/")
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if not (key.endswith(".json.gz") or key.endswith(".json")):
                continue
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            yield from parse_log_bytes(body, f"s3://{bucket}/{key}")


def record_from_event(event: Any, where: str) -> dict[str, Any]:
    """The CloudTrail record inside an EventBridge ``AWS API Call via CloudTrail`` event."""
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        raise ValidationError("expected an EventBridge event with a detail object", where=where)
    return check_record(event["detail"], f"{where}.detail")


def read_sqs(client: Any, queue_url: str, *, max_messages: int = 1000, wait: int = 1) -> Iterator[Item]:
    """Drain up to ``max_messages`` from the queue; each message is deleted once yielded."""
    seen = 0
    while seen < max_messages:
        resp = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        messages = resp.get("Messages", [])
        if not messages:
            return
        for msg in messages:
            seen += 1
            where = f"sqs message {msg.get('MessageId')}"
            try:
                yield where, record_from_event(json.loads(msg["Body"]), where)
            except json.JSONDecodeError as exc:
                yield where, ValidationError(f"invalid JSON: {exc.msg}", where=where)
            except ValidationError as exc:
                yield where, exc
            client.delete_message(QueueUrl=queue_url, ReceiptHandle=msg["ReceiptHandle"])
