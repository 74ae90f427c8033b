"""WAF API: web ACLs, rule groups, IP sets and regex pattern sets by name and version; reload of every
proxy with their versions; offline evaluation; status.

Everything is addressed by a name matching ``^[A-Za-z0-9_-]{1,128}$``, checked before anything else
(422 otherwise). A name is looked up in the WAF store (the database) and, for ACLs, the built-in set;
it never reaches the file system, and no route takes a path. Every save is a new version.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.api.schema import json_body
from assetguard.auth.principal import Principal
from assetguard.core.errors import AssetGuardError, ConflictError, NotFoundError
from assetguard.runtime.platform import Platform
from assetguard.waf.acl_source import (
    AclFingerprint,
    changed,
    compile_document,
    compile_named_acl,
    find_acl,
    validate_resource,
)
from assetguard.waf.document_schema import check_resource, resource_schema, web_acl_schema
from assetguard.waf.documents import builtin_acl_names, unwrap
from assetguard.waf.engine import CompiledACL
from assetguard.waf.follower import followed_gates
from assetguard.waf.gate import active_gates
from assetguard.waf.ratelimit import MemoryRateCounter
from assetguard.waf.request import HttpRequest
from assetguard.waf.store import KINDS, NAME_PATTERN, StoredDocument, WafStore
from assetguard.waf.wcu import capacity_report

router = APIRouter(prefix="/waf", tags=["waf"])

Name = Annotated[str, Path(pattern=NAME_PATTERN, description="1-128 characters of A-Z, a-z, 0-9, _ and -")]
Version = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a saved version (default: the current one)")]
IfMatch = Annotated[str | None, Header(max_length=200, description="save only if the current etag is this")]
COMPILED_CACHE = 16
RESOURCE_PATHS = {"rule-groups": "rule-group", "ip-sets": "ip-set", "regex-pattern-sets": "regex-pattern-set"}


class EvaluateBody(BaseModel):
    acl: str = Field("baseline", pattern=NAME_PATTERN, description="ACL name (the store, then the built-in set)")
    requests: list[dict[str, Any]] = Field(max_length=10_000)


class ReloadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    acl: str | None = Field(None, pattern=NAME_PATTERN, description="only wait for proxies running this ACL")
    wait_seconds: float = Field(5.0, ge=0, le=30, strict=True, description="how long to wait for proxies to confirm")


def _store(platform: Platform) -> WafStore:
    return WafStore(platform.db)


def _capacity(acl: CompiledACL) -> dict[str, Any]:
    report = capacity_report(acl)
    return {"total": report.total, "rules": [{"name": n, "wcu": w} for n, w in report.rules],
            "above_base_price": report.above_base_price, "above_maximum": report.above_maximum}


def _current(platform: Platform, name: str) -> tuple[CompiledACL, AclFingerprint]:
    """The compiled current version of ``name``, compiled again only when it or what it uses changed.
    Its rate-based rules count in memory of their own (offline use never touches the proxies' counts)."""
    store = _store(platform)
    cache: dict[str, tuple[CompiledACL, AclFingerprint]] = platform.singleton("waf.api.compiled", dict)
    hit = cache.get(name)
    if hit is not None and not changed(store, hit[1]):
        return hit
    compiled, fp = compile_named_acl(platform.settings.waf, store, name, rate_counter=MemoryRateCounter())
    if len(cache) >= COMPILED_CACHE:
        cache.pop(next(iter(cache)), None)
    cache[name] = (compiled, fp)
    return compiled, fp


def _audit_put(platform: Platform, principal: Principal, action: str, resource: str) -> Any:
    def record(conn: Any, before: StoredDocument | None, saved: StoredDocument) -> None:
        platform.audit.record(conn, principal, action, resource, before=before.document if before else None,
                              after=saved.document)
    return record


def _document(body: dict[str, Any], wrapper: str) -> dict[str, Any]:
    doc = unwrap(body, wrapper)
    return doc if isinstance(doc, dict) else body


# --- web ACLs ----------------------------------------------------------------------------------------

@router.get("/acls")
def list_acls(_p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    """Built-in ACL names, and the stored ACLs with their current version."""
    return {"builtin": builtin_acl_names(), "stored": _store(platform).names("acl")}


@router.get("/acls/{name}", responses={404: {"description": "no such ACL or version"}})
def get_acl(name: Name, _p: ViewerDep, platform: PlatformDep, response: Response,
            version: Version = None) -> dict[str, Any]:
    """The ACL document (exactly as saved), its version and etag, and its capacity per rule."""
    store = _store(platform)
    if version is None:
        compiled, fp = _current(platform, name)
        document, etag, current = compiled.document, fp.etag, fp.version
    else:
        document, current, etag = find_acl(store, name, version)
        compiled = compile_document(platform.settings.waf, store, document, f"acl {name} v{version}",
                                    MemoryRateCounter())
    response.headers["ETag"] = f'"{etag}"'
    saved = store.get("acl", name, current) if current else None
    return {"name": name, "version": current, "builtin": current == 0, "etag": etag, "document": document,
            "created_at": saved.created_at.isoformat() if saved else None,
            "created_by": saved.created_by if saved else None, "capacity": _capacity(compiled)}


@router.get("/acls/{name}/versions")
def acl_versions(name: Name, _p: ViewerDep, platform: PlatformDep,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    """Every saved version, newest first: version, etag, who, when, deleted."""
    found = _store(platform).versions("acl", name, limit)
    if not found:
        find_acl(None, name)  # a built-in name has no saved versions; any other name is a 404
    return [v.meta() for v in found]


@router.put("/acls/{name}", responses={409: {"description": "built-in name, or If-Match no longer current"}},
            openapi_extra=json_body(web_acl_schema()))
def put_acl(name: Name, document: dict[str, Any], principal: OperatorDep, platform: PlatformDep,
            response: Response, if_match: IfMatch = None) -> dict[str, Any]:
    """Save a new version of ``name`` after compiling it against the store; built-in names are read-only."""
    if name in builtin_acl_names():
        raise ConflictError(f"{name!r} is a built-in ACL and cannot be replaced; choose another name")
    document = _document(document, "WebACL")
    store = _store(platform)
    compiled = compile_document(platform.settings.waf, store, document, f"PUT /waf/acls/{name}", MemoryRateCounter())
    saved = store.put("acl", name, document, actor=principal.name, if_match=_etag(if_match),
                      audit=_audit_put(platform, principal, "waf.acl.put", f"waf:acl/{name}"))
    response.headers["ETag"] = f'"{saved.etag}"'
    return {"name": name, "version": saved.version, "etag": saved.etag, "capacity": _capacity(compiled)}


@router.delete("/acls/{name}", responses={404: {"description": "no such stored ACL"}})
def delete_acl(name: Name, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    """Delete a stored ACL (a new version that deletes it; earlier versions stay readable)."""
    return _delete(platform, principal, "acl", name)


def _etag(value: str | None) -> str | None:
    return value.strip().removeprefix("W/").strip('"') if value else None


def _delete(platform: Platform, principal: Principal, kind: str, name: str) -> dict[str, Any]:
    store = _store(platform)
    if store.get(kind, name) is None:
        raise NotFoundError(f"no stored {kind} {name!r}")
    saved = store.put(kind, name, None, actor=principal.name,
                      audit=_audit_put(platform, principal, f"waf.{kind}.delete", f"waf:{kind}/{name}"))
    return {"name": name, "version": saved.version, "deleted": True}


# --- rule groups, IP sets, regex pattern sets ------------------------------------------------------------

def _resource_routes(path: str, kind: str) -> None:
    wrapper = KINDS[kind]

    def list_(_p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
        return _store(platform).names(kind)

    def get(name: Name, _p: ViewerDep, platform: PlatformDep, response: Response,
            version: Version = None) -> dict[str, Any]:
        saved = _store(platform).get(kind, name, version)
        if saved is None or saved.document is None:
            raise NotFoundError(f"no {kind} {name!r}" + (f" version {version}" if version else ""))
        response.headers["ETag"] = f'"{saved.etag}"'
        return {"name": name, "version": saved.version, "etag": saved.etag, "document": saved.document,
                "created_at": saved.created_at.isoformat(), "created_by": saved.created_by}

    def versions(name: Name, _p: ViewerDep, platform: PlatformDep,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
        found = _store(platform).versions(kind, name, limit)
        if not found:
            raise NotFoundError(f"no {kind} {name!r}")
        return [v.meta() for v in found]

    def put(name: Name, document: dict[str, Any], principal: OperatorDep, platform: PlatformDep,
            response: Response, if_match: IfMatch = None) -> dict[str, Any]:
        document = _document(document, wrapper)
        check_resource(kind, name, document, f"{kind} {name}")
        store = _store(platform)
        validate_resource(platform.settings.waf, store, kind, name, document)
        saved = store.put(kind, name, document, actor=principal.name, if_match=_etag(if_match),
                          audit=_audit_put(platform, principal, f"waf.{kind}.put", f"waf:{kind}/{name}"))
        response.headers["ETag"] = f'"{saved.etag}"'
        return {"name": name, "version": saved.version, "etag": saved.etag}

    def delete(name: Name, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
        return _delete(platform, principal, kind, name)

    label = wrapper
    router.add_api_route(f"/{path}", list_, methods=["GET"], name=f"list_{path}", summary=f"List {label}s")
    router.add_api_route(f"/{path}/{{name}}", get, methods=["GET"], name=f"get_{path}", summary=f"Get a {label}",
                         responses={404: {"description": f"no such {label} or version"}})
    router.add_api_route(f"/{path}/{{name}}/versions", versions, methods=["GET"], name=f"versions_{path}",
                         summary=f"Versions of a {label}", responses={404: {"description": f"no such {label}"}})
    router.add_api_route(f"/{path}/{{name}}", put, methods=["PUT"], name=f"put_{path}",
                         summary=f"Save a new version of a {label}",
                         responses={409: {"description": "If-Match no longer current"}},
                         openapi_extra=json_body(resource_schema(kind, wrapper)))
    router.add_api_route(f"/{path}/{{name}}", delete, methods=["DELETE"], name=f"delete_{path}",
                         summary=f"Delete a {label}", responses={404: {"description": f"no such {label}"}})


for _path, _kind in RESOURCE_PATHS.items():
    _resource_routes(_path, _kind)


# --- proxies ------------------------------------------------------------------------------------------

def _proxies(platform: Platform, acl: str | None = None) -> list[dict[str, Any]]:
    store = _store(platform)
    waf = platform.settings.waf
    latest = {row["name"]: row["version"] for row in store.names("acl")}
    rows = store.proxies(alive_seconds=3 * waf.heartbeat_seconds + 1)
    for row in rows:
        row["current_version"] = latest.get(row["acl"], 0)
    return [row for row in rows if acl is None or row["acl"] == acl]


@router.get("/proxies")
def proxies(_p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    """Every proxy that reported in the last hour: id, address, ACL, version it runs (and the current
    one), health, and whether it is alive (heard from within three heartbeats)."""
    state = _store(platform).state()
    return {"generation": state.generation, "reload_generation": state.reload_generation,
            "proxies": _proxies(platform)}


@router.post("/reload", responses={404: {"description": "no such ACL"}})
def reload(body: ReloadBody, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    """Ask every proxy, wherever it runs, to compile its ACL again; wait up to ``wait_seconds`` for the
    live ones (those running ``acl``, if given) to confirm, and answer which proxy runs which version."""
    store = _store(platform)
    if body.acl is not None:
        find_acl(store, body.acl)  # 404 for an unknown name, before anything changes

    def audit(conn: Any, generation: int) -> None:
        platform.audit.record(conn, principal, "waf.reload", "waf:proxies", before=None,
                              after={"acl": body.acl, "reload_generation": generation})

    generation = store.request_reload(audit)
    in_process: list[dict[str, Any]] = []
    for gate in active_gates():  # gates in this process that no proxy follower drives (e.g. middleware)
        if gate not in followed_gates() and (body.acl is None or gate.acl.name == body.acl):
            before = gate.acl.name
            try:
                acl = gate.reload()
            except AssetGuardError as exc:  # the gate keeps its running ACL
                in_process.append({"before": before, "after": before, "error": str(exc)})
                continue
            in_process.append({"before": before, "after": acl.name, "capacity": acl.capacity})
    started = time.monotonic()
    while True:
        rows = [r for r in _proxies(platform, body.acl) if r["alive"]]
        for row in rows:
            row["acked"] = row["reload_generation"] >= generation
        pending = [r["id"] for r in rows if not r["acked"]]
        waited = time.monotonic() - started
        if not pending or waited >= body.wait_seconds:
            break
        time.sleep(0.2)
    return {"reload_generation": generation, "acl": body.acl, "waited_seconds": round(waited, 3),
            "proxies": rows, "pending": pending, "in_process": in_process}


@router.post("/evaluate", responses={404: {"description": "no such ACL"}})
def evaluate(body: EvaluateBody, _p: OperatorDep, platform: PlatformDep) -> list[dict[str, Any]]:
    """Offline evaluation against the current version of a named ACL: the same records and answers as
    ``assetguard waf evaluate``."""
    acl, _fp = _current(platform, body.acl)
    return [acl.evaluate(HttpRequest.from_jsonl_record(record, where=f"requests[{i}]")).to_record()
            for i, record in enumerate(body.requests)]


@router.get("/status")
def status(_p: ViewerDep, platform: PlatformDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
    """Gates running in this process, their counters and the newest blocked requests (log records);
    every proxy's version and health."""
    gates = active_gates()
    recent = [record for gate in gates for record in gate.recent_blocks.newest(limit)]
    recent.sort(key=lambda r: r.get("timestamp", 0), reverse=True)
    return {"gates": [gate.status() for gate in gates], "recent_blocks": recent[:limit],
            "proxies": _proxies(platform)}
