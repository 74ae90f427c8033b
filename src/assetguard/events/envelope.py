"""The EventBridge event envelope.

>>> make_event("assetguard.findings", "Findings - Imported", {"findings": []})["detail-type"]
'Findings - Imported'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from assetguard.core.clock import isoformat, new_id, utcnow

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "local"


def make_event(source: str, detail_type: str, detail: dict[str, Any], *, resources: Sequence[str] = (),
               account: str | None = None, region: str | None = None, time: datetime | None = None,
               event_id: str | None = None, replay_name: str | None = None) -> dict[str, Any]:
    """A complete envelope: ``version, id, detail-type, source, account, time, region, resources, detail``,
    plus ``replay-name`` when the event is a replay."""
    event: dict[str, Any] = {
        "version": "0",
        "id": event_id or new_id(),
        "detail-type": detail_type,
        "source": source,
        "account": account or DEFAULT_ACCOUNT,
        "time": isoformat(time or utcnow()),
        "region": region or DEFAULT_REGION,
        "resources": list(resources),
        "detail": detail,
    }
    if replay_name:
        event["replay-name"] = replay_name
    return event
