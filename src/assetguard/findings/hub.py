"""``FindingsHub``: store ASFF findings with Security Hub's ``BatchImportFindings`` semantics.

The contract other engineers rely on (``assetguard.findings.hub``)::

    hub = FindingsHub(platform)
    result = hub.batch_import([asff_finding, ...])        # ≤ 100 findings, ≤ 6 MB
    # {"SuccessCount": 1, "FailedCount": 0, "FailedFindings": [{"Id", "ErrorCode", "ErrorMessage"}]}
    hub.get(product_arn, finding_id)                      # the stored ASFF dict (NotFoundError)
    hub.list(severity="HIGH", workflow_status="NEW")      # newest first
    hub.update_workflow(product_arn, finding_id, "NOTIFIED", actor=SYSTEM)

Import semantics:

* upsert by ``(ProductArn, Id)``; a new finding needs ``CreatedAt == UpdatedAt``; an update needs an
  ``UpdatedAt`` later than the stored one (else ``InvalidInput``), and keeps the stored ``CreatedAt``;
* providers cannot set consumer fields (Workflow, Note, UserDefinedFields, VerificationState):
  a new finding starts ``Workflow.Status = NEW``; an update keeps the stored values; and
  Severity/Confidence/Criticality/Types/RelatedFindings once changed by a consumer stay changed;
* automatic workflow transitions (:mod:`assetguard.findings.workflow`), then automation rules;
* every stored finding publishes one ``Findings - Imported`` event (``{"findings": [finding]}``)
  in the same transaction; the batch is audited as ``findings.import``.

A whole-batch problem (more than 100 findings, more than 6 MB) raises ``ValidationError``, like
Security Hub's ``InvalidInputException``; a bad finding only fails itself.
"""

from __future__ import annotations

import builtins
import copy
import json
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.clock import utcnow
from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.findings.automation import AutomationRules, apply_rules
from assetguard.findings.filters import compile_filters, path_for
from assetguard.findings.model import (
    CONSUMER_FIELDS,
    CONSUMER_OVERRIDABLE,
    MAX_BATCH_BYTES,
    MAX_BATCH_FINDINGS,
    NORMALIZED_FOR_LABEL,
    SEVERITY_LABELS,
    SEVERITY_RANK,
    VERIFICATION_STATES,
    WORKFLOW_STATUSES,
    check_finding,
    field_value,
    finding_size,
    format_time,
    normalise_severity,
    parse_time,
    severity_label,
)
from assetguard.findings.tables import findings as findings_table
from assetguard.findings.workflow import auto_transition

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

SOURCE = "assetguard.findings"
DETAIL_TYPE = "Findings - Imported"
RETENTION_DAYS = 90


def _row_values(doc: dict[str, Any], consumer_fields: list[str], processed_at: Any) -> dict[str, Any]:
    res = doc["Resources"][0]
    label = severity_label(doc)
    return {
        "product_arn": doc["ProductArn"], "finding_id": doc["Id"], "generator_id": doc["GeneratorId"],
        "aws_account_id": doc["AwsAccountId"], "title": doc["Title"], "severity_label": label,
        "severity_rank": SEVERITY_RANK[label], "workflow_status": doc["Workflow"]["Status"],
        "record_state": doc["RecordState"], "compliance_status": (doc.get("Compliance") or {}).get("Status"),
        "resource_type": str(res["Type"])[:256], "resource_id": str(res["Id"])[:1024],
        "created_at": parse_time(doc["CreatedAt"]), "updated_at": parse_time(doc["UpdatedAt"]),
        "processed_at": processed_at, "consumer_fields": consumer_fields, "data": doc,
    }


class FindingsHub:
    """The findings store; cheap to construct (``FindingsHub(platform)``)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    # -- import ---------------------------------------------------------------------------------
    def batch_import(self, findings: list[dict[str, Any]], *, actor: Principal = SYSTEM,
                     trusted: bool = False) -> dict[str, Any]:
        """Upsert up to 100 ASFF findings; per-finding errors come back in ``FailedFindings``.

        ``trusted=True`` is for connectors re-importing another hub's findings: consumer fields
        in the input are kept and ``CreatedAt`` may differ from ``UpdatedAt`` on creation.
        """
        if not isinstance(findings, list):
            raise ValidationError("Findings must be a list of ASFF findings", where="Findings")
        if len(findings) > MAX_BATCH_FINDINGS:
            raise ValidationError(f"a batch holds at most {MAX_BATCH_FINDINGS} findings; got {len(findings)}",
                                  where="Findings")
        # Each finding is measured once; the batch size is their sum plus the array's commas and brackets.
        sizes = [finding_size(f) for f in findings]
        total = sum(sizes) + max(len(findings) - 1, 0) + 2
        if total > MAX_BATCH_BYTES:
            raise ValidationError(f"a batch is at most 6 MB; got {total} bytes", where="Findings")
        return self._import(findings, sizes, actor=actor, trusted=trusted)

    def import_many(self, findings: list[dict[str, Any]], *, actor: Principal = SYSTEM,
                    chunk: int = 2000) -> dict[str, Any]:
        """In-process producers (the compliance evaluator): the same per-finding semantics as
        :meth:`batch_import`, without the 100-per-call API limit, ``chunk`` findings per transaction."""
        result: dict[str, Any] = {"SuccessCount": 0, "FailedCount": 0, "FailedFindings": []}
        for i in range(0, len(findings), chunk):
            part = findings[i:i + chunk]
            one = self._import(part, [finding_size(f) for f in part], actor=actor, trusted=False)
            result["SuccessCount"] += one["SuccessCount"]
            result["FailedCount"] += one["FailedCount"]
            result["FailedFindings"] += one["FailedFindings"]
        return result

    def _import(self, findings: list[dict[str, Any]], sizes: list[int], *, actor: Principal,
                trusted: bool) -> dict[str, Any]:
        failed: list[dict[str, str]] = []
        valid: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for finding, size in zip(findings, sizes, strict=True):
            problem = check_finding(finding, new=True, size=size)
            fid = str(finding.get("Id", "")) if isinstance(finding, dict) else ""
            if problem is None:
                key = (finding["ProductArn"], finding["Id"])
                if key in seen:
                    problem = ("DuplicatedFindingIdentifier", "Finding Identifier is duplicated")
                seen.add(key)
            if problem is not None:
                failed.append({"Id": fid, "ErrorCode": problem[0], "ErrorMessage": problem[1]})
            else:
                valid.append(finding)
        now = utcnow()
        now_text = format_time(now)
        stored: list[dict[str, Any]] = []
        with self.platform.db.begin() as conn:
            existing = self._existing(conn, valid)
            rules = AutomationRules(self.platform).compiled(conn)
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            for finding in valid:
                key = (finding["ProductArn"], finding["Id"])
                old = existing.get(key)
                if old is None:
                    if not trusted and finding["CreatedAt"] != finding["UpdatedAt"]:
                        failed.append({"Id": finding["Id"], "ErrorCode": "InvalidInput",
                                       "ErrorMessage": "CreatedAt must equal UpdatedAt when a finding is created"})
                        continue
                    doc = self._new_doc(finding, trusted=trusted)
                    consumer: list[str] = []
                else:
                    old_doc, consumer = old["data"], list(old["consumer_fields"])
                    if parse_time(finding["UpdatedAt"]) <= parse_time(old_doc["UpdatedAt"]):
                        failed.append({"Id": finding["Id"], "ErrorCode": "InvalidInput",
                                       "ErrorMessage": f"UpdatedAt {finding['UpdatedAt']} must be later than the "
                                                       f"stored finding's UpdatedAt {old_doc['UpdatedAt']}"})
                        continue
                    doc = self._updated_doc(old_doc, finding, consumer, trusted=trusted)
                if rules:
                    apply_rules(doc, rules, now=now_text)
                doc["ProcessedAt"] = now_text
                values = _row_values(doc, consumer, now)
                if old is None:
                    inserts.append(values)
                else:
                    updates.append({**values, "b_seq": old["seq"]})
                stored.append(doc)
            if inserts:
                conn.execute(findings_table.insert(), inserts)
            if updates:
                cols: dict[str, Any] = {k: bindparam(k) for k in updates[0] if k != "b_seq"}
                conn.execute(update(findings_table).where(findings_table.c.seq == bindparam("b_seq")).values(cols),
                             updates)
            self._publish(conn, stored)
            if stored:
                self.platform.audit.record(conn, actor, "findings.import", f"findings/{stored[0]['ProductArn']}",
                                           after={"SuccessCount": len(stored), "created": len(inserts),
                                                  "updated": len(updates),
                                                  "Ids": [d["Id"] for d in stored[:20]]})
        return {"SuccessCount": len(stored), "FailedCount": len(failed), "FailedFindings": failed}

    def _existing(self, conn: Connection, valid: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        if not valid:
            return {}
        by_product: dict[str, list[str]] = {}
        for f in valid:
            by_product.setdefault(f["ProductArn"], []).append(f["Id"])
        c = findings_table.c
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for product, ids in by_product.items():
            for i in range(0, len(ids), 500):  # stay far below SQLite's bound-parameter limit
                stmt = select(c.seq, c.product_arn, c.finding_id, c.consumer_fields, c.data).where(
                    c.product_arn == product, c.finding_id.in_(ids[i:i + 500]))
                out.update({(r.product_arn, r.finding_id): dict(r._mapping) for r in conn.execute(stmt)})
        return out

    @staticmethod
    def _new_doc(finding: dict[str, Any], *, trusted: bool) -> dict[str, Any]:
        # A shallow copy is enough: every nested object the hub changes (Severity, Workflow, Note,
        # UserDefinedFields) is replaced by a new one, never edited in place.
        doc = dict(finding)
        if not trusted:
            for name in CONSUMER_FIELDS:
                doc.pop(name, None)
        doc.pop("WorkflowState", None)
        normalise_severity(doc)
        doc.setdefault("RecordState", "ACTIVE")
        status = (doc.get("Workflow") or {}).get("Status", "NEW")
        if status not in WORKFLOW_STATUSES:
            status = "NEW"
        compliance = (doc.get("Compliance") or {}).get("Status")
        doc["Workflow"] = {"Status": auto_transition(status, old_compliance=None, new_compliance=compliance,
                                                     old_record=None, new_record=doc["RecordState"])}
        return doc

    @staticmethod
    def _updated_doc(old: dict[str, Any], finding: dict[str, Any], consumer: list[str], *,
                     trusted: bool) -> dict[str, Any]:
        doc = dict(finding)  # shallow: see _new_doc; ``old`` was just read from the database
        doc.pop("WorkflowState", None)
        for name in CONSUMER_FIELDS:
            if trusted and name in finding:
                continue
            if name in old:
                doc[name] = old[name]
            else:
                doc.pop(name, None)
        for name in CONSUMER_OVERRIDABLE:
            if name in consumer and name in old:
                doc[name] = old[name]
            elif name not in doc and name in old:
                doc[name] = old[name]  # an update may omit fields it does not change
        doc["CreatedAt"] = old["CreatedAt"]
        normalise_severity(doc)
        doc.setdefault("RecordState", "ACTIVE")
        status = (doc.get("Workflow") or {}).get("Status", "NEW")
        doc["Workflow"] = {"Status": auto_transition(
            status, old_compliance=(old.get("Compliance") or {}).get("Status"),
            new_compliance=(doc.get("Compliance") or {}).get("Status"),
            old_record=old.get("RecordState", "ACTIVE"), new_record=doc["RecordState"])}
        return doc

    def _publish(self, conn: Connection, docs: list[dict[str, Any]]) -> None:
        bus = self.platform.bus
        enqueue = getattr(bus, "enqueue", None)
        if callable(enqueue):
            # Batch path: one INSERT for the whole batch, still one finding per event.
            from assetguard.events.envelope import make_event

            events = [make_event(SOURCE, DETAIL_TYPE, {"findings": [d]}, resources=[d["ProductArn"]],
                                 account=d["AwsAccountId"], region=d.get("Region")) for d in docs]
            enqueue(events, conn=conn)
            return
        for d in docs:
            bus.publish(SOURCE, DETAIL_TYPE, {"findings": [d]}, resources=[d["ProductArn"]],
                        account=d["AwsAccountId"], region=d.get("Region"), conn=conn)

    # -- read -----------------------------------------------------------------------------------
    def get(self, product_arn: str, finding_id: str) -> dict[str, Any]:
        with self.platform.db.connect() as conn:
            row = conn.execute(select(findings_table.c.data).where(
                findings_table.c.product_arn == product_arn, findings_table.c.finding_id == finding_id)).first()
        if row is None:
            raise NotFoundError(f"no finding {finding_id!r} from {product_arn!r}")
        return dict(row.data)

    def find(self, finding_id: str) -> dict[str, Any]:
        """A finding by ``Id`` alone (ids are ARNs or URNs, unique in practice); NotFoundError."""
        with self.platform.db.connect() as conn:
            rows = conn.execute(select(findings_table.c.data).where(findings_table.c.finding_id == finding_id)
                                .limit(2)).all()
        if not rows:
            raise NotFoundError(f"no finding with Id {finding_id!r}")
        if len(rows) > 1:
            raise ValidationError(f"Id {finding_id!r} exists for several products; give the ProductArn too")
        return dict(rows[0].data)

    def list(self, filters: dict[str, Any] | None = None, *, severity: str | None = None,
             min_severity: str | None = None, workflow_status: str | None = None, record_state: str | None = None,
             compliance_status: str | None = None, product_arn: str | None = None, resource_id: str | None = None,
             generator_id: str | None = None, text: str | None = None, limit: int | None = 100,
             offset: int = 0) -> builtins.list[dict[str, Any]]:
        """Findings newest ``UpdatedAt`` first; keyword filters run in SQL, ASFF ``filters`` after."""
        c = findings_table.c
        stmt = select(c.data).order_by(c.updated_at.desc(), c.seq.desc())
        for col, value in ((c.severity_label, severity), (c.workflow_status, workflow_status),
                           (c.record_state, record_state), (c.compliance_status, compliance_status),
                           (c.product_arn, product_arn), (c.resource_id, resource_id),
                           (c.generator_id, generator_id)):
            if value:
                stmt = stmt.where(col == value)
        if min_severity:
            if min_severity.upper() not in SEVERITY_RANK:
                raise ValidationError(f"severity must be one of {', '.join(SEVERITY_LABELS)}")
            stmt = stmt.where(c.severity_rank >= SEVERITY_RANK[min_severity.upper()])
        if text:
            stmt = stmt.where(c.title.contains(text))
        predicate = compile_filters(filters) if filters else None
        if predicate is None:
            if limit is not None:
                stmt = stmt.limit(limit)
            stmt = stmt.offset(offset)
        out: builtins.list[dict[str, Any]] = []
        skipped = 0
        with self.platform.db.connect() as conn:
            for row in conn.execution_options(yield_per=500).execute(stmt):
                doc = row.data
                if predicate is not None:
                    if not predicate(doc):
                        continue
                    if skipped < offset:
                        skipped += 1
                        continue
                out.append(dict(doc))
                if predicate is not None and limit is not None and len(out) >= limit:
                    break
        return out

    def count(self, **where: str) -> int:
        stmt = select(func.count()).select_from(findings_table)
        for name, value in where.items():
            stmt = stmt.where(getattr(findings_table.c, name) == value)
        with self.platform.db.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def insight(self, group_by: str, filters: dict[str, Any] | None = None) -> builtins.list[dict[str, Any]]:
        """Counts of findings grouped by any field (filter name or dotted ASFF path), largest first."""
        path = path_for(group_by)
        predicate = compile_filters(filters)
        counts: Counter[str] = Counter()
        with self.platform.db.connect() as conn:
            for row in conn.execution_options(yield_per=1000).execute(select(findings_table.c.data)):
                doc = row.data
                if not predicate(doc):
                    continue
                value = field_value(doc, path)
                values = value if isinstance(value, list) else [value]
                for v in set(json.dumps(x, sort_keys=True) if isinstance(x, dict | list) else str(x)
                             for x in values if x is not None):
                    counts[v] += 1
        return [{"GroupByAttributeValue": k, "Count": n} for k, n in counts.most_common()]

    # -- consumer updates (BatchUpdateFindings) -------------------------------------------------
    def update_findings(self, identifiers: builtins.list[dict[str, str]], *, actor: Principal,
                        workflow_status: str | None = None, note: str | None = None,
                        severity_label: str | None = None, verification_state: str | None = None,
                        user_defined_fields: dict[str, str] | None = None) -> dict[str, Any]:
        """Consumer update of many findings (``{"Id", "ProductArn"}`` each), like ``BatchUpdateFindings``.

        Returns ``{"ProcessedFindings": [...], "UnprocessedFindings": [{"FindingIdentifier", "ErrorCode",
        "ErrorMessage"}]}``. Each change is audited and publishes ``Findings - Imported``.
        """
        if workflow_status is not None and workflow_status not in WORKFLOW_STATUSES:
            raise ValidationError(f"workflow status must be one of {', '.join(WORKFLOW_STATUSES)}",
                                  where="Workflow.Status")
        if severity_label is not None and severity_label not in SEVERITY_RANK:
            raise ValidationError(f"severity must be one of {', '.join(SEVERITY_LABELS)}", where="Severity.Label")
        if verification_state is not None and verification_state not in VERIFICATION_STATES:
            raise ValidationError(f"VerificationState must be one of {', '.join(VERIFICATION_STATES)}")
        if note is not None and not 1 <= len(note) <= 512:
            raise ValidationError("Note.Text must be 1 to 512 characters", where="Note.Text")
        if all(v is None for v in (workflow_status, note, severity_label, verification_state, user_defined_fields)):
            raise ValidationError("nothing to update: give a workflow status, note, severity, verification "
                                  "state or user-defined fields")
        if len(identifiers) > MAX_BATCH_FINDINGS:
            raise ValidationError(f"at most {MAX_BATCH_FINDINGS} findings per update")
        processed, unprocessed = [], []
        now = utcnow()
        c = findings_table.c
        with self.platform.db.begin() as conn:
            for ident in identifiers:
                row = conn.execute(select(c.seq, c.data, c.consumer_fields).where(
                    c.product_arn == ident.get("ProductArn"), c.finding_id == ident.get("Id"))).first()
                if row is None:
                    unprocessed.append({"FindingIdentifier": ident, "ErrorCode": "FindingNotFound",
                                        "ErrorMessage": "Finding Not Found"})
                    continue
                before = row.data
                doc = copy.deepcopy(before)
                consumer = set(row.consumer_fields)
                if workflow_status is not None:
                    doc["Workflow"] = {"Status": workflow_status}
                if note is not None:
                    doc["Note"] = {"Text": note, "UpdatedBy": actor.name, "UpdatedAt": format_time(now)}
                if severity_label is not None:
                    doc["Severity"] = {**(doc.get("Severity") or {}), "Label": severity_label,
                                       "Normalized": NORMALIZED_FOR_LABEL[severity_label]}
                    consumer.add("Severity")
                if verification_state is not None:
                    doc["VerificationState"] = verification_state
                if user_defined_fields is not None:
                    doc["UserDefinedFields"] = {**(doc.get("UserDefinedFields") or {}), **user_defined_fields}
                doc["ProcessedAt"] = format_time(now)
                values = _row_values(doc, sorted(consumer), now)
                conn.execute(update(findings_table).where(c.seq == row.seq).values(values))
                self.platform.audit.record(
                    conn, actor, "findings.update", doc["Id"],
                    before={"Workflow": before.get("Workflow"), "Severity": before.get("Severity"),
                            "Note": before.get("Note"), "VerificationState": before.get("VerificationState")},
                    after={"Workflow": doc.get("Workflow"), "Severity": doc.get("Severity"),
                           "Note": doc.get("Note"), "VerificationState": doc.get("VerificationState")})
                self._publish(conn, [doc])
                processed.append({"Id": doc["Id"], "ProductArn": doc["ProductArn"]})
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}

    def update_workflow(self, product_arn: str, finding_id: str, status: str, *, actor: Principal = SYSTEM,
                        note: str | None = None) -> dict[str, Any]:
        """Set one finding's workflow status (NotFoundError if it does not exist); returns the finding."""
        result = self.update_findings([{"ProductArn": product_arn, "Id": finding_id}], actor=actor,
                                      workflow_status=status, note=note)
        if result["UnprocessedFindings"]:
            raise NotFoundError(f"no finding {finding_id!r} from {product_arn!r}")
        return self.get(product_arn, finding_id)

    # -- retention ------------------------------------------------------------------------------
    def purge_expired(self, *, days: int = RETENTION_DAYS, actor: Principal = SYSTEM) -> int:
        """Delete findings not updated for ``days`` days (Security Hub keeps them 90 days)."""
        cutoff = utcnow() - timedelta(days=days)
        with self.platform.db.begin() as conn:
            n = conn.execute(delete(findings_table).where(findings_table.c.processed_at < cutoff)).rowcount
            if n:
                self.platform.audit.record(conn, actor, "findings.purge", "findings",
                                           after={"deleted": n, "cutoff": cutoff.isoformat()})
        return int(n or 0)
