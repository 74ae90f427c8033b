"""Clock and id helpers; everything that needs "now" or a fresh id goes through here."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(UTC)


@functools.lru_cache(maxsize=256)  # a batch of events shares one time; strftime is the slow part
def isoformat(ts: datetime) -> str:
    """RFC 3339 with a ``Z`` suffix and second precision, as AWS event envelopes use."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    """A random UUID4 string."""
    return str(uuid.uuid4())
