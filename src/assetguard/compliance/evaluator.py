"""``ComplianceEvaluator``: run rules over configuration items, record changes, publish, import findings.

Compile, then evaluate: the selected rules are indexed by resource type once; each item costs a
dict lookup plus its rules' checks. Then the results are compared with the stored ones and each
*change* (including the first result) is, in one transaction per chunk:

* stored in ``compliance_results``;
* published as ``Compliance Rule Evaluation Change`` (AWS Config's "Config Rules Compliance
  Change" fields: ``configRuleName``, ``resourceType``, ``resourceId``, ``awsAccountId``,
  ``awsRegion``, ``newEvaluationResult``, ``oldEvaluationResult`` ...) plus ``severity``, ``arn``,
  ``findingId`` and ``remediation`` (bound runbook and approval) for rules to route on;
* turned into an ASFF finding upserted through the findings hub (``Compliance.Status``).

A first result is recorded but only published when it is NON_COMPLIANT (a first COMPLIANT or
NOT_APPLICABLE is not news, and would flood the bus on a first scan). Passing results only update a
finding that already exists (to resolve it). Unchanged results write nothing.

    report = ComplianceEvaluator(platform).evaluate(pack="baseline")
    report.counts            # {"COMPLIANT": 10, "NON_COMPLIANT": 3, ...}
    ComplianceEvaluator(platform).evaluate_asset(arn)   # on-change, one asset
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.compliance.asff import account_of, finding_id, product_arn, region_of, to_finding
from assetguard.compliance.context import ACCOUNT_TYPES, EvaluationContext
from assetguard.compliance.packs import get_pack
from assetguard.compliance.rule import (
    COMPLIANT,
    INSUFFICIENT_DATA,
    NON_COMPLIANT,
    NOT_APPLICABLE,
    ComplianceRule,
    Result,
    load_all_rules,
)
from assetguard.compliance.tables import compliance_results, remediation_configs
from assetguard.core.clock import isoformat, utcnow
from assetguard.events.envelope import make_event
from assetguard.findings.model import format_time

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

SOURCE = "assetguard.compliance"
DETAIL_TYPE = "Compliance Rule Evaluation Change"
CHUNK = 2000
# Items the rules of a resource type consult besides the one they evaluate (see EvaluationContext);
# an on-change evaluation loads only these, so a big first collection stays linear.
RELATED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "AWS::EC2::VPC": ("AWS::EC2::FlowLog",),
    "AWS::S3::Bucket": ("AWS::S3::AccountPublicAccessBlock",),
    "AWS::IAM::AccountSummary": ("AWS::CloudTrail::Trail",),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("AWS::ElasticLoadBalancingV2::Listener", "AWS::WAFv2::WebACL"),
}
RELATED_TYPES = tuple(sorted({t for ts in RELATED_BY_TYPE.values() for t in ts} | set(ACCOUNT_TYPES)))
SEVERITY_ORDER = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
_clock_lock = threading.Lock()
_last_now: list[datetime] = []


def strictly_later_now() -> datetime:
    """utcnow(), but at least 1 ms after the previous call: finding UpdatedAt (ms precision) must increase."""
    with _clock_lock:
        now = utcnow()
        if _last_now and now < _last_now[0] + timedelta(milliseconds=1):
            now = _last_now[0] + timedelta(milliseconds=1)
        _last_now[:] = [now]
        return now


@dataclass(slots=True)
class Evaluation:
    rule: ComplianceRule
    item: dict[str, Any]
    result: Result


@dataclass
class EvaluationReport:
    evaluations: list[Evaluation] = field(default_factory=list)
    changes: int = 0
    findings_imported: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(e.result.compliance_type for e in self.evaluations))

    def non_compliant(self, min_severity: str = "INFORMATIONAL") -> list[Evaluation]:
        floor = SEVERITY_ORDER[min_severity.upper()]
        return [e for e in self.evaluations if e.result.compliance_type == NON_COMPLIANT
                and SEVERITY_ORDER[e.rule.meta.severity] >= floor]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [{"rule": e.rule.id, "severity": e.rule.meta.severity, "resourceType": e.item.get("resourceType"),
                 "resourceId": e.item.get("resourceId"), "arn": e.item.get("arn"),
                 "complianceType": e.result.compliance_type, "annotation": e.result.annotation,
                 "kisa": list(e.rule.meta.kisa), "cis": list(e.rule.meta.cis)} for e in self.evaluations]


class CompiledRuleSet:
    """Selected rules indexed by resource type, with their parameters validated once."""

    def __init__(self, rule_ids: Iterable[str] | None = None, params: dict[str, dict[str, Any]] | None = None,
                 *, triggers: tuple[str, ...] = ("on-change", "periodic", "both")) -> None:
        registry = load_all_rules()
        selected = [registry.get(r) for r in rule_ids] if rule_ids is not None else [r for _, r in registry.items()]
        self.rules = [r for r in selected if r.meta.trigger in triggers]
        self.by_type: dict[str, list[tuple[ComplianceRule, Any]]] = {}
        for rule in self.rules:
            parsed = rule.params.model_validate((params or {}).get(rule.id, {}))
            for rtype in rule.meta.resource_types:
                self.by_type.setdefault(rtype, []).append((rule, parsed))

    def evaluate(self, items: Iterable[dict[str, Any]], ctx: EvaluationContext) -> list[Evaluation]:
        out: list[Evaluation] = []
        for item in items:
            for rule, params in self.by_type.get(item.get("resourceType", ""), ()):
                try:
                    result = rule.check(item, ctx, params)
                except Exception as exc:  # noqa: BLE001 - a broken check must not stop the other rules
                    result = Result.insufficient(f"rule error: {type(exc).__name__}: {exc}")
                out.append(Evaluation(rule, item, result))
        return out


class ComplianceEvaluator:
    def __init__(self, platform: Platform, *, params: dict[str, dict[str, Any]] | None = None) -> None:
        self.platform = platform
        self.params = params or {}

    # -- entry points ---------------------------------------------------------------------------
    def evaluate(self, items: list[dict[str, Any]] | None = None, *, pack: str | None = "baseline",
                 rule_ids: Iterable[str] | None = None, actor: Principal = SYSTEM,
                 record: bool = True) -> EvaluationReport:
        """Evaluate ``items`` (default: every stored asset) against a pack or explicit rules."""
        if items is None:
            items = self._inventory().list_assets()
        ids = list(rule_ids) if rule_ids is not None else (list(get_pack(pack).rule_ids) if pack else None)
        params = {**(get_pack(pack).parameters if pack and rule_ids is None else {}), **self.params}
        ruleset = CompiledRuleSet(ids, params)
        ctx = EvaluationContext(items)
        report = EvaluationReport(ruleset.evaluate(items, ctx))
        if record:
            self.record(report, actor=actor, action="compliance.evaluate")
        return report

    def evaluate_asset(self, arn: str, *, asset: dict[str, Any] | None = None, deleted: bool = False,
                       rule_ids: Iterable[str] | None = None, triggers: tuple[str, ...] = ("on-change", "both"),
                       actor: Principal = SYSTEM) -> EvaluationReport:
        """On-change evaluation of one asset (``deleted`` archives its results and findings)."""
        inventory = self._inventory()
        if asset is None:
            asset = inventory.get(arn)
        if deleted:
            return self._archive(asset, actor=actor)
        related = [i for t in RELATED_BY_TYPE.get(str(asset.get("resourceType")), ())
                   for i in inventory.list_assets(t) if i.get("accountId") in (None, asset.get("accountId"))]
        ctx = EvaluationContext([asset], related=related)
        ruleset = CompiledRuleSet(rule_ids, self.params,
                                  triggers=("on-change", "periodic", "both") if rule_ids else triggers)
        report = EvaluationReport(ruleset.evaluate([asset], ctx))
        self.record(report, actor=actor, action="compliance.evaluate_asset")
        return report

    def _inventory(self) -> Any:
        from assetguard.inventory.service import InventoryService

        return InventoryService(self.platform)

    # -- recording ------------------------------------------------------------------------------
    def record(self, report: EvaluationReport, *, actor: Principal, action: str) -> None:
        """Store changed results, publish change events and upsert findings (chunked transactions)."""
        from assetguard.findings.hub import FindingsHub

        hub = FindingsHub(self.platform)
        evaluations = report.evaluations
        remediation = self._remediation_bindings()
        for start in range(0, len(evaluations), CHUNK):
            chunk = evaluations[start:start + CHUNK]
            now = strictly_later_now()
            stamp = format_time(now)
            findings: list[dict[str, Any]] = []
            with self.platform.db.begin() as conn:
                keys = {(e.rule.id, self._arn(e.item)) for e in chunk}
                old = self._stored(conn, keys)
                inserts, updates, events = [], [], []
                for e in chunk:
                    arn = self._arn(e.item)
                    prev = old.get((e.rule.id, arn))
                    new_type = e.result.compliance_type
                    if prev is not None and prev["compliance_type"] == new_type \
                            and prev["annotation"] == e.result.annotation:
                        # Unchanged: nothing is written (``evaluated_at`` is the time of the last change
                        # or confirmation by a changed annotation), so a steady-state run only reads.
                        continue
                    type_changed = prev is None or prev["compliance_type"] != new_type
                    has_finding = prev is not None and prev["finding_id"] is not None
                    make_finding = new_type == NON_COMPLIANT or has_finding
                    fid = finding_id(e.rule.id, arn) if make_finding else None
                    row = {"compliance_type": new_type, "annotation": e.result.annotation, "evaluated_at": now,
                           "changed_at": now if type_changed else prev["changed_at"],  # type: ignore[index]
                           "finding_id": fid, "product_arn": product_arn(e.item) if fid else None}
                    if prev is None:
                        inserts.append({"rule_id": e.rule.id, "resource_arn": arn,
                                        "resource_type": str(e.item.get("resourceType")),
                                        "resource_id": str(e.item.get("resourceId"))[:1024],
                                        "account_id": e.item.get("accountId"), "region": e.item.get("awsRegion"),
                                        **row})
                    else:
                        updates.append({"b_rule": e.rule.id, "b_arn": arn, **row})
                    if make_finding:
                        findings.append(to_finding(e.rule, e.item, new_type, e.result.annotation, at=stamp))
                    # A first result is news only when it fails; later, every change of type is.
                    if type_changed and (prev is not None or new_type == NON_COMPLIANT):
                        report.changes += 1
                        events.append(self._event(e, prev, now, fid, remediation.get(e.rule.id)))
                if inserts:
                    conn.execute(compliance_results.insert(), inserts)
                if updates:
                    conn.execute(update(compliance_results).where(
                        compliance_results.c.rule_id == bindparam("b_rule"),
                        compliance_results.c.resource_arn == bindparam("b_arn")).values(
                        compliance_type=bindparam("compliance_type"), annotation=bindparam("annotation"),
                        evaluated_at=bindparam("evaluated_at"), changed_at=bindparam("changed_at"),
                        finding_id=bindparam("finding_id"), product_arn=bindparam("product_arn")), updates)
                self._enqueue(conn, events)
                if events:
                    self.platform.audit.record(conn, actor, action, f"compliance/{chunk[0].rule.id}",
                                               after={"evaluated": len(chunk), "changes": len(events),
                                                      "results": [[ev["detail"]["configRuleName"],
                                                                   ev["detail"]["resourceId"],
                                                                   ev["detail"]["newEvaluationResult"]
                                                                   ["complianceType"]] for ev in events[:50]]})
            report.findings_imported += self._import(hub, findings, report, actor)

    def _import(self, hub: Any, findings: list[dict[str, Any]], report: EvaluationReport,
                actor: Principal) -> int:
        if not findings:
            return 0
        result = hub.import_many(findings, actor=actor)
        report.errors.extend(f"{f['Id']}: {f['ErrorCode']} {f['ErrorMessage']}" for f in result["FailedFindings"])
        return int(result["SuccessCount"])

    def _archive(self, asset: dict[str, Any], *, actor: Principal) -> EvaluationReport:
        """A deleted asset: every stored result becomes NOT_APPLICABLE and its findings ARCHIVED."""
        registry = load_all_rules()
        arn = self._arn(asset)
        with self.platform.db.connect() as conn:
            rows = conn.execute(select(compliance_results.c.rule_id).where(
                compliance_results.c.resource_arn == arn)).all()
        report = EvaluationReport([Evaluation(registry.get(r.rule_id), asset, Result.not_applicable("resource deleted"))
                                   for r in rows if r.rule_id in registry])
        self.record(report, actor=actor, action="compliance.evaluate_asset")
        return report

    @staticmethod
    def _arn(item: dict[str, Any]) -> str:
        return str(item.get("arn") or f"{item.get('resourceType')}/{item.get('resourceId')}")[:1024]

    @staticmethod
    def _stored(conn: Any, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        if not keys:
            return {}
        arns = sorted({a for _, a in keys})
        out: dict[tuple[str, str], dict[str, Any]] = {}
        c = compliance_results.c
        for i in range(0, len(arns), 400):
            stmt = select(c.rule_id, c.resource_arn, c.compliance_type, c.annotation, c.changed_at, c.finding_id,
                          c.product_arn, c.evaluated_at).where(c.resource_arn.in_(arns[i:i + 400]))
            for r in conn.execute(stmt):
                if (r.rule_id, r.resource_arn) in keys:
                    out[(r.rule_id, r.resource_arn)] = dict(r._mapping)
        return out

    def _remediation_bindings(self) -> dict[str, dict[str, Any]]:
        """rule id → {"runbook", "approval"}: stored configurations, else the rule's bound runbook (manual)."""
        out = {rid: {"runbook": r.meta.runbook, "approval": "manual"} for rid, r in load_all_rules().items()
               if r.meta.runbook}
        with self.platform.db.connect() as conn:
            for row in conn.execute(select(remediation_configs.c.rule_id, remediation_configs.c.runbook,
                                           remediation_configs.c.approval)):
                out[row.rule_id] = {"runbook": row.runbook, "approval": row.approval}
        return out

    @staticmethod
    def _event(e: Evaluation, prev: dict[str, Any] | None, now: Any, fid: str | None,
               remediation: dict[str, Any] | None) -> dict[str, Any]:
        item = e.item
        qualifier = {"configRuleName": e.rule.id, "resourceType": item.get("resourceType"),
                     "resourceId": item.get("resourceId"), "evaluationMode": "DETECTIVE"}
        stamp = isoformat(now)
        detail: dict[str, Any] = {
            "resourceId": item.get("resourceId"),
            "awsRegion": item.get("awsRegion") or region_of(item),
            "awsAccountId": account_of(item),
            "configRuleName": e.rule.id,
            "recordVersion": "1.0",
            "configRuleARN": f"arn:assetguard:compliance:::config-rule/{e.rule.id}",
            "messageType": "ComplianceChangeNotification",
            "notificationCreationTime": stamp,
            "resourceType": item.get("resourceType"),
            "newEvaluationResult": {
                "evaluationResultIdentifier": {"evaluationResultQualifier": qualifier, "orderingTimestamp": stamp},
                "complianceType": e.result.compliance_type, "resultRecordedTime": stamp,
                "configRuleInvokedTime": stamp, "annotation": e.result.annotation,
            },
            "arn": item.get("arn"),
            "severity": e.rule.meta.severity,
            "findingId": fid,
        }
        if prev is not None:
            old_stamp = isoformat(prev["evaluated_at"])
            detail["oldEvaluationResult"] = {
                "evaluationResultIdentifier": {"evaluationResultQualifier": qualifier, "orderingTimestamp": old_stamp},
                "complianceType": prev["compliance_type"], "resultRecordedTime": old_stamp,
                "configRuleInvokedTime": old_stamp, "annotation": prev["annotation"],
            }
        if remediation:
            detail["remediation"] = dict(remediation)
        return make_event(SOURCE, DETAIL_TYPE, detail, resources=[str(item.get("arn"))],
                          account=account_of(item), region=item.get("awsRegion"))

    def _enqueue(self, conn: Any, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        enqueue = getattr(self.platform.bus, "enqueue", None)
        if callable(enqueue):
            enqueue(events, conn=conn)
            return
        for ev in events:
            self.platform.bus.publish(ev["source"], ev["detail-type"], ev["detail"], resources=ev["resources"],
                                      account=ev["account"], region=ev["region"], conn=conn)


__all__ = ["COMPLIANT", "INSUFFICIENT_DATA", "NON_COMPLIANT", "NOT_APPLICABLE", "ComplianceEvaluator",
           "CompiledRuleSet", "EvaluationReport"]
