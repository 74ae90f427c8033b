"""``put_events``: PutEvents' request shape, limits and per-entry errors.

Each entry is ``{"Source", "DetailType", "Detail", "Resources"?, "Time"?}`` where ``Detail`` is
a JSON object or its JSON text. A batch holds 1..10 entries (more is a request error, as on AWS);
each bad entry gets ``ErrorCode``/``ErrorMessage`` and the good ones are still accepted::

    >>> result = put_events(platform, [{"Source": "demo", "DetailType": "x", "Detail": "{}"}])  # doctest: +SKIP
    {"FailedEntryCount": 0, "Entries": [{"EventId": "..."}]}
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assetguard.core.clock import utcnow
from assetguard.core.errors import ValidationError
from assetguard.events.envelope import make_event

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency; json alone gives the same answers, slower
    orjson = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

MAX_ENTRIES = 10
MAX_ENTRY_BYTES = 256 * 1024


def entry_size(entry: Mapping[str, Any], detail_text: str) -> int:
    """AWS's PutEvents entry size: Time (14), Source, DetailType, Detail and each Resource in UTF-8 bytes."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType"):
        value = entry.get(key)
        if isinstance(value, str):
            size += len(value.encode())
    size += len(detail_text.encode())
    for resource in entry.get("Resources") or []:
        if isinstance(resource, str):
            size += len(resource.encode())
    return size


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):  # 1e400
        raise ValueError(f"{text} is out of range")
    return value


# NaN, Infinity and numbers beyond a double are not JSON any database column takes; one decoder made
# once (``json.loads`` with options builds one per call)
_DETAIL = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)
# orjson reads an integer past 64 bits as a float: text with such a number goes to json, which keeps it
_LONG_NUMBER = re.compile(r"\d{19}")


def _unicode(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone surrogate, which JSON's ``\\ud800`` can make)."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _unicode_json(value: Any) -> bool:
    if orjson is not None:
        try:
            orjson.dumps(value)  # refuses lone surrogates (and integers past 64 bits: json decides those)
            return True
        except TypeError:
            pass
    return _unicode(json.dumps(value, ensure_ascii=False))


def loads_detail(text: str) -> tuple[Any, bool]:
    """A Detail's JSON text, parsed as json does (without NaN/Infinity), and whether orjson read it
    (then it holds no lone surrogate). orjson when it is installed and the text has no number
    orjson would round: four times faster on a typical Detail."""
    if orjson is not None and not _LONG_NUMBER.search(text):
        try:
            return orjson.loads(text), True
        except orjson.JSONDecodeError:
            pass  # json decides (it takes lone surrogates, orjson does not)
    return _DETAIL.decode(text), False


def _error(code: str, message: str) -> dict[str, str]:
    return {"ErrorCode": code, "ErrorMessage": message}


def check_entry(entry: Any, now: datetime | None = None, event_id: str | None = None
                ) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """(event envelope, None) for a valid entry, else (None, error entry); ``now`` is the time of an
    entry without ``Time`` (default: the current time), ``event_id`` its id (default: a new one)."""
    if not isinstance(entry, Mapping):
        return None, _error("InvalidArgument", "Parameter Entries is not valid. Reason: an entry must be an object.")
    for field in ("Source", "DetailType"):
        value = entry.get(field)
        if value is None or value == "":
            return None, _error("InvalidArgument",
                                f"Parameter {field} is not valid. Reason: {field} is a required argument.")
        if not isinstance(value, str) or len(value) > 256:
            return None, _error("InvalidArgument",
                                f"Parameter {field} is not valid. Reason: {field} must be a string of at most "
                                "256 characters.")
        if "\x00" in value:  # a text column (PostgreSQL's included) cannot hold it
            return None, _error("InvalidArgument",
                                f"Parameter {field} is not valid. Reason: {field} must not contain NUL characters.")
        if not _unicode(value):
            return None, _error("InvalidArgument",
                                f"Parameter {field} is not valid. Reason: {field} must be valid Unicode.")
    raw = entry.get("Detail")
    if raw is None:
        return None, _error("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.")
    try:  # NaN and Infinity are not JSON (and no database's JSON column takes them)
        if isinstance(raw, str):
            detail, clean = loads_detail(raw)
            detail_text = raw
        else:
            detail, clean = raw, False
            detail_text = json.dumps(raw, separators=(",", ":"), allow_nan=False)
        if not clean and not _unicode_json(detail):  # a lone surrogate (\ud800): no database stores it
            return None, _error("MalformedDetail", "Detail is malformed.")
    except (ValueError, RecursionError):
        return None, _error("MalformedDetail", "Detail is malformed.")
    if not isinstance(detail, dict):
        return None, _error("MalformedDetail", "Detail is malformed.")
    resources = entry.get("Resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, str) and _unicode(r) for r in resources):
        return None, _error("InvalidArgument",
                            "Parameter Resources is not valid. Reason: Resources must be a list of strings.")
    if entry_size(entry, detail_text) > MAX_ENTRY_BYTES:
        return None, _error("InvalidArgument",
                            "Parameter Entries is not valid. Reason: the entry exceeds the 256 KB size limit.")
    time = entry.get("Time")
    when: datetime | None = None
    if time is not None:
        try:
            when = time if isinstance(time, datetime) else datetime.fromisoformat(str(time).replace("Z", "+00:00"))
        except ValueError:
            return None, _error("InvalidArgument", "Parameter Time is not valid. Reason: expected an ISO 8601 time.")
    event = make_event(entry["Source"], entry["DetailType"], detail, resources=resources, time=when or now,
                       event_id=event_id)
    return event, None


def new_event_ids(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as text, from one read of the system's random source: what
    ``str(uuid.uuid4())`` gives, at less than half its cost."""
    bits = int.from_bytes(os.urandom(16 * count), "big")
    ids = []
    for _ in range(count):
        value = bits & _UUID_MASK
        bits >>= 128
        value = (value & ~_UUID_VERSION_BITS | _UUID_VERSION_4) & ~_UUID_VARIANT_BITS | _UUID_VARIANT_RFC4122
        text = f"{value:032x}"
        ids.append(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")
    return ids


_UUID_MASK = (1 << 128) - 1
_UUID_VERSION_BITS, _UUID_VERSION_4 = 0xF000 << 64, 0x4000 << 64
_UUID_VARIANT_BITS, _UUID_VARIANT_RFC4122 = 0xC000 << 48, 0x8000 << 48


def check_entries(entries: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(answer entries in request order, envelopes of the valid ones); a bad list is a ValidationError.

    An accepted entry's answer is ``{"EventId"}`` already: the caller enqueues the envelopes and
    answers only once they are committed."""
    if not isinstance(entries, list | tuple):
        raise ValidationError("Entries must be a list", where="Entries")
    if not entries:
        raise ValidationError("Entries must contain at least 1 entry", where="Entries")
    if len(entries) > MAX_ENTRIES:
        raise ValidationError(f"1 validation error detected: Value at 'entries' failed to satisfy constraint: "
                              f"Member must have length less than or equal to {MAX_ENTRIES} (got {len(entries)})",
                              where="Entries")
    results: list[dict[str, Any]] = []
    accepted: list[dict[str, Any]] = []
    now = utcnow()  # one request's entries were put at one time
    for entry, event_id in zip(entries, new_event_ids(len(entries)), strict=True):
        event, error = check_entry(entry, now, event_id)
        if event is None:
            results.append(error or {})
        else:
            accepted.append(event)
            results.append({"EventId": event["id"]})
    return results, accepted


def answer(results: list[dict[str, Any]]) -> dict[str, Any]:
    """PutEvents' answer for the per-entry results of :func:`check_entries`."""
    return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def put_events(platform: Platform, entries: Sequence[Any]) -> dict[str, Any]:
    """Validate each entry, enqueue the valid ones in one transaction, report per entry."""
    results, accepted = check_entries(entries)
    if accepted:
        enqueue = getattr(platform.bus, "enqueue", None)
        if callable(enqueue):
            enqueue(accepted)
        else:  # a bus without batch enqueue still takes them one by one
            for e in accepted:
                platform.bus.publish(e["source"], e["detail-type"], e["detail"], resources=e["resources"])
    return answer(results)
