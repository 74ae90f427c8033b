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
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, TypeAdapter, model_validator
from sqlalchemy import Connection, delete, select

from assetguard.auth.principal import Principal
from assetguard.core.bodyschema import inline_schema, validate_body
from assetguard.core.clock import new_id, utcnow
from assetguard.core.errors import ConflictError, NotFoundError, ValidationError
from assetguard.findings.filters import Predicate, compile_filters, filters_schema
from assetguard.findings.model import NORMALIZED_FOR_LABEL
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _SeverityUpdate(_Strict):
    Label: Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


class _WorkflowUpdate(_Strict):
    Status: Literal["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"]


class _NoteUpdate(_Strict):
    Text: str = Field(min_length=1, max_length=512)
    UpdatedBy: str = Field(None, min_length=1, max_length=512)  # type: ignore[assignment]


class _RelatedFinding(_Strict):
    Id: str = Field(min_length=1, max_length=512)
    ProductArn: str = Field(min_length=1, max_length=2048)


def _number_only(value: Any) -> Any:
    # JSON Schema's integer: 30 or 30.0, never true or "30" (pydantic's lax mode would take both)
    if isinstance(value, bool | str):
        raise ValueError("must be a whole number")
    return value


_Whole = Annotated[int, BeforeValidator(_number_only)]
_Percent = Annotated[int, Field(ge=0, le=100), BeforeValidator(_number_only)]


class FindingFieldsUpdate(_Strict):
    """What a rule may set (:data:`UPDATABLE`), each as Security Hub's AutomationRulesFindingFieldsUpdate."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    Severity: _SeverityUpdate = None  # type: ignore[assignment]
    Workflow: _WorkflowUpdate = None  # type: ignore[assignment]
    Note: _NoteUpdate = None  # type: ignore[assignment]
    UserDefinedFields: dict[str, str] = Field(None, max_length=50)  # type: ignore[arg-type]
    VerificationState: Literal["UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE"] = None  # type: ignore[assignment]
    Confidence: _Percent = None  # type: ignore[assignment]
    Criticality: _Percent = None  # type: ignore[assignment]
    Types: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(None, max_length=50)  # type: ignore[arg-type]
    RelatedFindings: list[_RelatedFinding] = Field(None, max_length=10)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _something(self) -> FindingFieldsUpdate:
        if not self.model_fields_set:
            raise ValueError(f"give at least one of {', '.join(sorted(UPDATABLE))}")
        return self


class RuleAction(_Strict):
    Type: Literal["FINDING_FIELDS_UPDATE"]
    FindingFieldsUpdate: FindingFieldsUpdate


class AutomationRule(_Strict):
    """A rule as ``POST /findings/automation-rules`` takes it (CreateAutomationRule's fields)."""

    RuleName: str = Field(min_length=1, max_length=256, pattern=r"\S")
    RuleOrder: _Whole = Field(1, ge=1, le=1000)
    RuleStatus: Literal["ENABLED", "DISABLED"] = "ENABLED"
    IsTerminal: StrictBool = False
    Description: str = Field("", max_length=1024)
    Criteria: dict[str, Any] = Field(default_factory=dict)
    Actions: list[RuleAction] = Field(min_length=1, max_length=1)


RULE: TypeAdapter[AutomationRule] = TypeAdapter(AutomationRule)


def rule_schema() -> dict[str, Any]:
    """The published body of ``POST /findings/automation-rules``: :class:`AutomationRule`, whose
    ``Criteria`` are ASFF filters (:func:`~assetguard.findings.filters.filters_schema`)."""
    schema = inline_schema(RULE)
    schema["properties"]["Criteria"] = filters_schema()
    return schema


def validate_rule(rule: Any) -> dict[str, Any]:
    """Check a rule document against :func:`rule_schema`; returns it normalised (defaults filled).
    Raises ValidationError naming the JSON path."""
    if not isinstance(rule, dict):
        raise ValidationError("an automation rule is an object")
    compile_filters(rule.get("Criteria") or {})
    parsed = validate_body(RULE, rule, "rule")
    actions = [{"Type": a.Type, "FindingFieldsUpdate": a.FindingFieldsUpdate.model_dump(exclude_unset=True)}
               for a in parsed.Actions]
    return {"RuleName": parsed.RuleName, "RuleOrder": parsed.RuleOrder, "RuleStatus": parsed.RuleStatus,
            "IsTerminal": parsed.IsTerminal, "Description": parsed.Description, "Criteria": parsed.Criteria,
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
                raise ConflictError(f"automation rule {doc['RuleName']!r} already exists; delete it first")
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
