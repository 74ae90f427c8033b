"""AWS events into the local bus: drain the SQS queue an EventBridge rule in the account feeds.

With ``tagging.sqs_queue_url`` set, the scheduler moves every message (an EventBridge event:
``AWS API Call via CloudTrail``, Security Hub, Config ...) onto assetguard's bus unchanged, so the
shipped rules (``autotag``, ``security-alerts`` ...) handle AWS events exactly like local ones.
Messages that are not EventBridge events are reported and deleted, so they cannot block the queue.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)
REQUIRED = ("id", "source", "detail-type", "detail")


def drain_queue(platform: Any, client: Any, queue_url: str, *, max_messages: int = 1000, wait: int = 1) -> dict[str, int]:
    """Move up to ``max_messages`` events from SQS to the bus; returns counts."""
    counts = {"forwarded": 0, "rejected": 0}
    while counts["forwarded"] + counts["rejected"] < max_messages:
        messages = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                          WaitTimeSeconds=wait).get("Messages", [])
        if not messages:
            break
        events = []
        for msg in messages:
            try:
                event = json.loads(msg["Body"])
            except json.JSONDecodeError as exc:
                event = None
                log.warning("sqs message %s is not JSON (%s); dropped", msg.get("MessageId"), exc.msg)
            if isinstance(event, dict) and all(k in event for k in REQUIRED) and isinstance(event["detail"], dict):
                events.append(event)
            else:
                counts["rejected"] += 1
                if event is not None:
                    log.warning("sqs message %s is not an EventBridge event; dropped", msg.get("MessageId"))
        if events:
            enqueue = getattr(platform.bus, "enqueue", None)
            if enqueue is not None:
                enqueue(events)  # keeps id, source and time, so replays stay idempotent
            else:
                for e in events:
                    platform.bus.publish(e["source"], e["detail-type"], e["detail"], resources=e.get("resources", ()),
                                         account=e.get("account"), region=e.get("region"))
            counts["forwarded"] += len(events)
        client.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    return counts


def drain_configured_queue(platform: Any) -> dict[str, int] | None:
    url = platform.settings.tagging.sqs_queue_url
    if not url:
        return None
    import boto3

    region = url.split(".")[1] if url.startswith("https://sqs.") else platform.settings.aws.regions[0]
    client = boto3.Session(profile_name=platform.settings.aws.profile).client("sqs", region_name=region)
    return drain_queue(platform, client, url)
