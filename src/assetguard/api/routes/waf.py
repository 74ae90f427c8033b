"""WAF API: ACL documents (get, put, list), reload of running proxies, offline evaluation, status."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.core.errors import ConflictError, ValidationError
from assetguard.runtime.platform import Platform
from assetguard.waf.documents import builtin_acl_names, load_acl_document, stored_acl_dir
from assetguard.waf.engine import CompiledACL, compile_acl, load_compiled_acl_from_settings
from assetguard.waf.gate import active_gates
from assetguard.waf.request import HttpRequest
from assetguard.waf.wcu import capacity_report

router = APIRouter(prefix="/waf", tags=["waf"])
NAME = re.compile(r"^[\w\-]{1,128}$")


class EvaluateBody(BaseModel):
    acl: str = "baseline"
    requests: list[dict[str, Any]] = Field(max_length=10_000)


class ReloadBody(BaseModel):
    acl: str | None = None


def _dirs(platform: Platform) -> list[Any]:
    return [stored_acl_dir(platform.settings.data_dir)]


def _compiled(platform: Platform, name: str) -> CompiledACL:
    return load_compiled_acl_from_settings(platform.settings.waf, name, acl_dirs=_dirs(platform))


def _compile_document(platform: Platform, name: str, document: dict[str, Any]) -> CompiledACL:
    from pathlib import Path

    from assetguard.waf.documents import AclResources
    from assetguard.waf.ipsets import IPSetStore

    waf = platform.settings.waf
    return compile_acl(document, source=f"PUT /waf/acls/{name}",
                       resources=AclResources.from_paths([Path(p) for p in waf.resources]),
                       ipsets=IPSetStore(Path(waf.ipset_dir)) if waf.ipset_dir else None,
                       geoip_path=Path(waf.geoip_path) if waf.geoip_path else None,
                       managed_dir=Path(waf.managed_dir) if waf.managed_dir else None)


def _capacity(acl: CompiledACL) -> dict[str, Any]:
    report = capacity_report(acl)
    return {"total": report.total, "rules": [{"name": n, "wcu": w} for n, w in report.rules],
            "above_base_price": report.above_base_price, "above_maximum": report.above_maximum}


@router.get("/acls")
def list_acls(_p: ViewerDep, platform: PlatformDep) -> dict[str, list[str]]:
    directory = stored_acl_dir(platform.settings.data_dir)
    stored = sorted(p.stem for p in directory.glob("*.json")) if directory.exists() else []
    return {"builtin": builtin_acl_names(), "stored": stored}


@router.get("/acls/{name}")
def get_acl(name: str, _p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    """The ACL document (exactly as stored) and its capacity per rule."""
    doc = load_acl_document(name, _dirs(platform))
    return {"name": name, "document": doc, "capacity": _capacity(_compiled(platform, name))}


@router.put("/acls/{name}")
def put_acl(name: str, document: dict[str, Any], principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    """Store an ACL under ``name`` after compiling it; built-in names are read-only."""
    if not NAME.match(name):
        raise ValidationError("an ACL name is 1-128 letters, digits, _ or -", where="name")
    if name in builtin_acl_names():
        raise ConflictError(f"{name!r} is a built-in ACL and cannot be replaced; choose another name")
    settings = platform.settings
    compiled = _compile_document(platform, name, document)
    path = stored_acl_dir(settings.data_dir) / f"{name}.json"
    before = json.loads(path.read_text()) if path.exists() else None
    with platform.db.begin() as conn:
        platform.audit.record(conn, principal, "waf.acl.put", f"waf:acl/{name}", before=before, after=document)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(document, indent=2) + "\n")
        tmp.replace(path)  # atomic: a reader sees the old or the new document
    return {"name": name, "capacity": _capacity(compiled)}


@router.post("/reload")
def reload(body: ReloadBody, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    """Recompile the ACL of every WAF proxy in this process (optionally switching ACL) without dropping
    connections. A proxy in another process reloads on SIGHUP."""
    gates = active_gates()
    if body.acl is not None:
        _compiled(platform, body.acl)  # validate once before touching any gate
    results = []
    with platform.db.begin() as conn:
        for gate in gates:
            before = gate.acl.name
            if body.acl is not None:
                name = body.acl
                acl = gate.reload(lambda n=name: _compiled(platform, n))  # type: ignore[misc]
            else:
                acl = gate.reload()
            results.append({"before": before, "after": acl.name, "capacity": acl.capacity})
        platform.audit.record(conn, principal, "waf.reload", "waf:proxies", before=None,
                              after={"acl": body.acl, "reloaded": len(results)})
    return {"reloaded": results}


@router.post("/evaluate")
def evaluate(body: EvaluateBody, _p: OperatorDep, platform: PlatformDep) -> list[dict[str, Any]]:
    """Offline evaluation: the same records and answers as ``assetguard waf evaluate``."""
    acl = _compiled(platform, body.acl)
    return [acl.evaluate(HttpRequest.from_jsonl_record(record, where=f"requests[{i}]")).to_record()
            for i, record in enumerate(body.requests)]


@router.get("/status")
def status(_p: ViewerDep, platform: PlatformDep, limit: int = 50) -> dict[str, Any]:
    """Running gates, their counters and the newest blocked requests (log records)."""
    gates = active_gates()
    recent = [record for gate in gates for record in gate.recent_blocks.newest(limit)]
    recent.sort(key=lambda r: r.get("timestamp", 0), reverse=True)
    return {"gates": [gate.status() for gate in gates], "recent_blocks": recent[:limit]}
