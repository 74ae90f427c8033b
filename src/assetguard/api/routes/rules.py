"""``/rules``: event rules (EventBridge pattern → up to five targets)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.core.errors import ValidationError

router = APIRouter(prefix="/rules", tags=["rules"])


@router.get("")
def list_rules(_p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
    from assetguard.events.rule_store import RuleStore

    return [r.as_dict() for r in RuleStore(platform).list_rules()]


@router.get("/{name}")
def get_rule(name: str, _p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    from assetguard.events.rule_store import RuleStore

    return RuleStore(platform).get(name).as_dict()


@router.put("/{name}")
def put_rule(name: str, principal: OperatorDep, platform: PlatformDep,
             body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Create or replace; the body is a rule document (``name`` optional, must equal the path)."""
    from assetguard.events.rule_store import RuleStore, parse_rule

    if body.get("name", name) != name:
        raise ValidationError(f"name in the body ({body.get('name')!r}) differs from the path ({name!r})",
                              where="name")
    store = RuleStore(platform)
    # A rule fetched with GET shows its secrets as ``***``: putting it back keeps the stored ones.
    rule = parse_rule(store.restore_masked({**body, "name": name}))
    return store.put(rule, actor=principal).as_dict()


@router.delete("/{name}")
def delete_rule(name: str, principal: OperatorDep, platform: PlatformDep) -> dict[str, str]:
    from assetguard.events.rule_store import RuleStore

    RuleStore(platform).delete(name, actor=principal)
    return {"deleted": name}


@router.post("/{name}/enable")
def enable_rule(name: str, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    from assetguard.events.rule_store import RuleStore

    return RuleStore(platform).set_state(name, "ENABLED", actor=principal).as_dict()


@router.post("/{name}/disable")
def disable_rule(name: str, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    from assetguard.events.rule_store import RuleStore

    return RuleStore(platform).set_state(name, "DISABLED", actor=principal).as_dict()
