"""Automation rules in the style of Security Hub's: criteria → update finding fields.

A rule has ``RuleName``, ``RuleOrder`` (lower first), ``RuleStatus`` ENABLED/DISABLED,
``IsTerminal`` (stop evaluating later rules), ``Criteria`` (ASFF filters, see
:mod:`assetguard.findings.filters`) and ``Actions``: a list of
``{"Type": "FINDING_FIELDS_UPDATE", "FindingFieldsUpdate": {...}}`` where the update may set
``Severity.Label``, ``Workflow.Status`` (``SUPPRESSED`` suppresses), ``Note``,
``UserDefinedFields`` (merged), ``VerificationState``, ``Confidence``, ``Criticality``, ``Types``
and ``RelatedFindings``. Rules run on every created or updated finding during import::

    AutomationRules(platform).create({
        "RuleName": "suppress-dev", "RuleOrder": 1,
        "Criteria": {"ResourceTags": [{"Key": "env", "Value": "dev", "Comparison": "EQUALS"}]},
        "Actions": [{"Type": "FINDING_FIELDS_UPDATE",
                     "FindingFieldsUpdate": {"Workflow": {"Status": "SUPPRESSED"}}}],
    }, actor=cli_principal())
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select

from assetguard.auth.principal import Principal
from assetguard.core.clock import new_id, utcnow
from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.findings.filters import Predicate, compile_filters
from assetguard.findings.model import (
    NORMALIZED_FOR_LABEL,
    SEVERITY_RANK,
    VERIFICATION_STATES,
    WORKFLOW_STATUSES,
)
from assetguard.findings.tables import automation_rules

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

UPDATABLE = {"Severity", "Workflow", "Note", "UserDefinedFields", "VerificationState", "Confidence",
             "Criticality", "Types", "RelatedFindings"}


@dataclass(frozen=True)
class CompiledRule:
    name: str
    order: int
    terminal: bool
    match: Predicate
    updates: tuple[dict[str, Any], ...]


def validate_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """Check a rule document; returns it normalised (defaults filled). Raises ValidationError."""
    if not isinstance(rule, dict):
        raise ValidationError("an automation rule is an object")
    name = rule.get("RuleName")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("RuleName is required", where="RuleName")
    order = rule.get("RuleOrder", 1)
    if not isinstance(order, int) or not 1 <= order <= 1000:
        raise ValidationError("RuleOrder must be an integer from 1 to 1000", where="RuleOrder")
    status = rule.get("RuleStatus", "ENABLED")
    if status not in ("ENABLED", "DISABLED"):
        raise ValidationError("RuleStatus must be ENABLED or DISABLED", where="RuleStatus")
    compile_filters(rule.get("Criteria") or {})
    actions = rule.get("Actions")
    if not isinstance(actions, list) or not actions:
        raise ValidationError("Actions must be a non-empty list", where="Actions")
    for i, action in enumerate(actions):
        where = f"Actions[{i}]"
        if not isinstance(action, dict) or action.get("Type") != "FINDING_FIELDS_UPDATE":
            raise ValidationError("Type must be FINDING_FIELDS_UPDATE", where=f"{where}.Type")
        update = action.get("FindingFieldsUpdate")
        if not isinstance(update, dict) or not update:
            raise ValidationError("FindingFieldsUpdate must be a non-empty object", where=where)
        unknown = set(update) - UPDATABLE
        if unknown:
            raise ValidationError(f"cannot update {sorted(unknown)}; allowed: {sorted(UPDATABLE)}", where=where)
        if "Severity" in update and update["Severity"].get("Label") not in SEVERITY_RANK:
            raise ValidationError("Severity.Label is invalid", where=f"{where}.FindingFieldsUpdate.Severity")
        if "Workflow" in update and update["Workflow"].get("Status") not in WORKFLOW_STATUSES:
            raise ValidationError(f"Workflow.Status must be one of {WORKFLOW_STATUSES}",
                                  where=f"{where}.FindingFieldsUpdate.Workflow")
        if "VerificationState" in update and update["VerificationState"] not in VERIFICATION_STATES:
            raise ValidationError("VerificationState is invalid", where=f"{where}.FindingFieldsUpdate")
    return {"RuleName": name, "RuleOrder": order, "RuleStatus": status, "IsTerminal": bool(rule.get("IsTerminal")),
            "Description": str(rule.get("Description", "")), "Criteria": rule.get("Criteria") or {},
            "Actions": actions}


def compile_rules(rows: list[dict[str, Any]]) -> list[CompiledRule]:
    out = []
    for r in sorted(rows, key=lambda r: (r["RuleOrder"], r["RuleName"])):
        if r["RuleStatus"] != "ENABLED":
            continue
        out.append(CompiledRule(r["RuleName"], r["RuleOrder"], r["IsTerminal"], compile_filters(r["Criteria"]),
                                tuple(a["FindingFieldsUpdate"] for a in r["Actions"])))
    return out


def apply_rules(finding: dict[str, Any], rules: list[CompiledRule], *, now: str) -> list[str]:
    """Apply matching rules to ``finding`` in place; returns the names of the rules applied."""
    applied = []
    for rule in rules:
        if not rule.match(finding):
            continue
        for update in rule.updates:
            for key, value in update.items():
                if key == "Severity":
                    label = value["Label"]
                    finding["Severity"] = {**(finding.get("Severity") or {}), "Label": label,
                                           "Normalized": NORMALIZED_FOR_LABEL[label]}
                elif key == "Workflow":
                    finding["Workflow"] = {"Status": value["Status"]}
                elif key == "Note":
                    finding["Note"] = {"Text": value.get("Text", ""),
                                       "UpdatedBy": value.get("UpdatedBy", f"automation-rule/{rule.name}"),
                                       "UpdatedAt": now}
                elif key == "UserDefinedFields":
                    finding["UserDefinedFields"] = {**(finding.get("UserDefinedFields") or {}), **value}
                else:
                    finding[key] = value
        applied.append(rule.name)
        if rule.terminal:
            break
    return applied


class AutomationRules:
    """CRUD for automation rules (audited); :meth:`compiled` feeds the hub's import path."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def list(self) -> builtins.list[dict[str, Any]]:
        with self.platform.db.connect() as conn:
            return [self._doc(r._mapping) for r in
                    conn.execute(select(automation_rules).order_by(automation_rules.c.rule_order))]

    def compiled(self, conn: Connection) -> builtins.list[CompiledRule]:
        return compile_rules([self._doc(r._mapping) for r in conn.execute(select(automation_rules))])

    def create(self, rule: dict[str, Any], *, actor: Principal) -> dict[str, Any]:
        doc = validate_rule(rule)
        now = utcnow()
        arn = f"arn:aws:securityhub:local:000000000000:automation-rule/{new_id()}"
        with self.platform.db.begin() as conn:
            exists = conn.execute(select(automation_rules.c.rule_arn)
                                  .where(automation_rules.c.rule_name == doc["RuleName"])).first()
            if exists:
                raise ValidationError(f"automation rule {doc['RuleName']!r} already exists", where="RuleName")
            conn.execute(automation_rules.insert().values(
                rule_arn=arn, rule_name=doc["RuleName"], rule_order=doc["RuleOrder"], rule_status=doc["RuleStatus"],
                is_terminal=doc["IsTerminal"], description=doc["Description"], criteria=doc["Criteria"],
                actions=doc["Actions"], created_at=now, updated_at=now))
            self.platform.audit.record(conn, actor, "findings.automation_rule.create", arn, after=doc)
        return {"RuleArn": arn, **doc}

    def delete(self, name: str, *, actor: Principal) -> None:
        with self.platform.db.begin() as conn:
            row = conn.execute(select(automation_rules).where(automation_rules.c.rule_name == name)).first()
            if row is None:
                raise NotFoundError(f"no automation rule named {name!r}")
            conn.execute(delete(automation_rules).where(automation_rules.c.rule_name == name))
            self.platform.audit.record(conn, actor, "findings.automation_rule.delete", row.rule_arn,
                                       before=self._doc(row._mapping))

    @staticmethod
    def _doc(row: Any) -> dict[str, Any]:
        return {"RuleArn": row["rule_arn"], "RuleName": row["rule_name"], "RuleOrder": row["rule_order"],
                "RuleStatus": row["rule_status"], "IsTerminal": bool(row["is_terminal"]),
                "Description": row["description"], "Criteria": row["criteria"], "Actions": row["actions"]}
