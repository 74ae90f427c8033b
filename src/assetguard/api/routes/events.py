"""``/events``: PutEvents, pattern testing, recent events, deliveries and the dead-letter queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.api.schema import error, json_body
from assetguard.core.errors import ValidationError
from assetguard.events.archive import ArchiveSpec, replay_request_schema
from assetguard.events.ingest import MAX_BODY_BYTES
from assetguard.events.put_events import MAX_ENTRIES

router = APIRouter(prefix="/events", tags=["events"])


@router.post("", responses={413: error(f"the body is larger than {MAX_BODY_BYTES} bytes")}, openapi_extra=json_body({
    # a malformed entry is that entry's failure in the answer (PutEvents semantics), so items are unconstrained
    "required": ["Entries"], "properties": {"Entries": {"type": "array", "minItems": 1, "maxItems": MAX_ENTRIES}}}))
def put_events_route(principal: OperatorDep, platform: PlatformDep,
                     body: dict[str, Any] = Body(..., examples=[{"Entries": [
                         {"Source": "my.app", "DetailType": "Thing Happened", "Detail": "{\"x\": 1}"}]}])
                     ) -> dict[str, Any]:
    """PutEvents: ``{"Entries": [...]}`` → ``{"FailedEntryCount", "Entries": [{"EventId"} | {"ErrorCode", "ErrorMessage"}]}``.

    A bearer-token request with 1-10 entries is answered by :mod:`assetguard.events.ingest` ahead
    of FastAPI (group commit); this route answers the rest (console sessions, bad bodies) and
    documents both."""
    from assetguard.events.put_events import put_events

    if "Entries" not in body:
        raise ValidationError("the body must be {\"Entries\": [...]}", where="Entries")
    return put_events(platform, body["Entries"])


@router.post("/test-pattern", openapi_extra=json_body({"anyOf": [
    {"required": ["pattern", "event"], "properties": {"pattern": {"type": "object", "minProperties": 1},
                                                      "event": {"type": "object"}}},
    {"required": ["cases"], "properties": {"cases": {"type": "array"}}}]}))  # a bad case is its own error
def test_pattern_route(principal: OperatorDep,
                       body: dict[str, Any] = Body(..., examples=[{"pattern": {"source": ["a"]},
                                                                   "event": {"source": "a"}}])
                       ) -> dict[str, Any]:
    """``{"pattern", "event"}`` → ``{"match": bool}``; an invalid pattern answers 400 with the JSON path.

    ``{"cases": [{"pattern", "event"}, ...]}`` → ``{"results": [{"match"} | {"error"}, ...]}``.
    """
    from assetguard.events.testing import run_case, test_pattern

    if "cases" in body:
        cases = body["cases"]
        if not isinstance(cases, list):
            raise ValidationError("cases must be a list", where="cases")
        return {"results": [run_case(c) for c in cases]}
    if "pattern" not in body or "event" not in body:
        raise ValidationError("the body must have \"pattern\" and \"event\"")
    return {"match": test_pattern(body["pattern"], body["event"])}


@router.get("/recent")
def recent_events(_p: ViewerDep, platform: PlatformDep, detail_type: str | None = None,
                  limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """The newest events, secrets masked (a producer's detail may carry a password or token)."""
    from assetguard.core.redact import redact

    return [redact(event) for event in platform.bus.recent(detail_type=detail_type, limit=limit)]


@router.get("/deliveries")
def list_deliveries(_p: ViewerDep, platform: PlatformDep, rule: str | None = None, status: str | None = None,
                    limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    from assetguard.events.delivery import DeliveryLedger

    return DeliveryLedger(platform).list(rule=rule, status=status, limit=limit)


@router.get("/dlq")
def list_dlq(_p: ViewerDep, platform: PlatformDep, rule: str | None = None, include_redriven: bool = False,
             limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    from assetguard.events.dlq import DeadLetters

    return DeadLetters(platform).list(rule=rule, include_redriven=include_redriven, limit=limit)


@router.post("/dlq/redrive")
def redrive_dlq(principal: OperatorDep, platform: PlatformDep,
                body: dict[str, Any] = Body(default_factory=dict)) -> dict[str, int]:
    """``{"ids": [..]}`` or ``{"rule": name}`` or ``{}`` (everything not yet redriven)."""
    from assetguard.events.dlq import DeadLetters

    count = DeadLetters(platform).redrive(ids=body.get("ids"), rule=body.get("rule"), actor=principal)
    return {"redriven": count}


@router.get("/notifications")
def list_notifications(_p: ViewerDep, platform: PlatformDep,
                       limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """The outbox target's stored notifications, newest first."""
    from assetguard.targets.outbox import list_notifications as _list

    return _list(platform, limit=limit)


@router.get("/archives")
def list_archives(_p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
    """Archives with their pattern, retention days and event count."""
    from assetguard.events.archive import Archives

    return Archives(platform).list_archives()


@router.post("/archives", openapi_extra=json_body(ArchiveSpec.model_json_schema()))
def create_archive(principal: OperatorDep, platform: PlatformDep,
                   body: dict[str, Any] = Body(..., examples=[{"name": "security", "retention_days": 30,
                                                               "pattern": {"source": ["assetguard.findings"]}}])
                   ) -> dict[str, Any]:
    """``{"name", "pattern"?, "retention_days"?, "description"?}``: archive matching events from now on."""
    from assetguard.events.archive import Archives, ArchiveSpec, parse_spec

    return Archives(platform).create(parse_spec(ArchiveSpec, body), actor=principal)


@router.delete("/archives/{name}")
def delete_archive(name: str, principal: OperatorDep, platform: PlatformDep) -> dict[str, str]:
    from assetguard.events.archive import Archives

    Archives(platform).delete(name, actor=principal)
    return {"deleted": name}


@router.get("/replays")
def list_replays(_p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
    from assetguard.events.archive import Archives

    return Archives(platform).list_replays()


@router.post("/replays", openapi_extra=json_body(replay_request_schema()))
def start_replay(principal: OperatorDep, platform: PlatformDep,
                 body: dict[str, Any] = Body(..., examples=[{"name": "fix-1", "archive": "security",
                                                             "start": "2026-11-29T00:00:00Z",
                                                             "end": "2026-11-29T12:00:00Z",
                                                             "rules": ["security-alerts"]}])) -> dict[str, Any]:
    """Re-put the archive's events with ``start <= time < end`` (``replay-name`` set) to ``rules``
    (every enabled rule when empty); answers the replay record. Names are used once (409)."""
    from assetguard.core.clock import utcnow
    from assetguard.events.archive import Archives, ReplaySpec, parse_spec

    body = {"name": f"replay-{body.get('archive')}-{utcnow():%Y%m%dT%H%M%S}"[:48], **body}
    return Archives(platform).replay(parse_spec(ReplaySpec, body), actor=principal)
