"""``/rules``: event rules (EventBridge pattern → up to five targets)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Body
from pydantic import TypeAdapter

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.api.schema import json_body
from assetguard.core.bodyschema import inline_schema
from assetguard.core.errors import ValidationError

router = APIRouter(prefix="/rules", tags=["rules"])
PATH_KEY = re.compile(r"(^|_)(file|path|dir)$", re.IGNORECASE)


def rule_body_schema() -> dict[str, Any]:
    """The rule document ``PUT /rules/{name}`` takes: the :class:`~assetguard.events.rules.Rule` model
    (``name`` may be left out; when given it must equal the path). The event pattern's grammar and each
    target type's config are checked when the rule is parsed, beyond what the schema states."""
    from assetguard.events.rules import NAME_RE, Rule

    schema = inline_schema(TypeAdapter(Rule))
    schema["required"] = [key for key in schema.get("required", []) if key != "name"]
    schema["properties"]["name"]["pattern"] = NAME_RE.pattern
    schema["properties"]["pattern"]["description"] = "an EventBridge event pattern"
    return schema


@router.get("")
def list_rules(_p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
    from assetguard.events.rule_store import RuleStore

    return [r.as_dict() for r in RuleStore(platform).list_rules()]


@router.get("/{name}")
def get_rule(name: str, _p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    from assetguard.events.rule_store import RuleStore

    return RuleStore(platform).get(name).as_dict()


@router.put("/{name}", openapi_extra=json_body(rule_body_schema()))
def put_rule(name: str, principal: OperatorDep, platform: PlatformDep,
             body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Create or replace; the body is a rule document (``name`` optional, must equal the path)."""
    from assetguard.events.rule_store import RuleStore, parse_rule

    if body.get("name", name) != name:
        raise ValidationError(f"name in the body ({body.get('name')!r}) differs from the path ({name!r})",
                              where="name")
    store = RuleStore(platform)
    # A rule fetched with GET shows its secrets as ``***``: putting it back keeps the stored ones.
    document = store.restore_masked({**body, "name": name})
    refuse_new_paths(store, document)
    rule = parse_rule(document)
    return store.put(rule, actor=principal).as_dict()


def refuse_new_paths(store: Any, document: dict[str, Any]) -> None:
    """The API never takes a file path: a target config key naming a server file (``ca_file``, any
    ``*_file``, ``*_path`` or ``*_dir``) may only keep the value already stored for that target;
    setting or changing one is for ``assetguard rules put`` run on the server."""
    from assetguard.core.errors import NotFoundError

    try:
        stored = {t.id: t.config for t in store.get(document.get("name")).rule.targets}
    except NotFoundError:
        stored = {}
    for index, target in enumerate(document.get("targets") or []):
        config = target.get("config") if isinstance(target, dict) else None
        if not isinstance(config, dict):
            continue
        for key, value in config.items():
            if value is None or not PATH_KEY.search(str(key)):
                continue
            if stored.get(target.get("id"), {}).get(key) != value:
                raise ValidationError("names a file on the server, which the API does not take; set it with "
                                      "`assetguard rules put FILE` on the server (an unchanged stored value is kept)",
                                      where=f"targets[{index}].config.{key}")


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
