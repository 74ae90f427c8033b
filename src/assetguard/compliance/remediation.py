"""``RemediationService``: bind runbooks to rules, approve, run, guard against loops, re-evaluate.

Like AWS Config's remediation configurations: each rule with a runbook has a configuration
(``approval`` ``manual`` by default, or ``auto``; runbook ``parameters``; ``max_attempts`` per
resource per 24 h and a ``cooldown_seconds`` between runs; ``use_ssm`` to run the matching AWS
Systems Manager Automation document instead of the local boto3 code)::

    svc = RemediationService(platform)
    svc.configure("restricted-ssh", approval="auto", actor=cli_principal())
    ex = svc.request("restricted-ssh", sg_arn, actor=SYSTEM, trigger="auto")   # runs: approval is auto
    ex = svc.request("linux-ssh-root-login-disabled", host_arn, actor=SYSTEM, trigger="auto")
    ex["status"]                                   # "PENDING_APPROVAL": an operator must approve
    svc.approve(ex["executionId"], actor=operator)

Execution statuses: PENDING_APPROVAL → IN_PROGRESS → SUCCEEDED | FAILED; REJECTED; SKIPPED (loop
guard or nothing bound). Every status change is audited and published as ``Remediation Execution
Status Change`` (source ``assetguard.remediation``). After a run the resource is re-collected (AWS:
only the affected service and region; host: its facts) and the rule re-evaluated, so the result
and the finding show the effect.
"""

from __future__ import annotations

import builtins
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from assetguard.auth.principal import Principal
from assetguard.compliance.rule import load_all_rules
from assetguard.compliance.runbooks.base import RunbookEnv, load_all_runbooks
from assetguard.compliance.tables import remediation_configs, remediation_executions
from assetguard.core.clock import new_id, utcnow
from assetguard.core.errors import ConflictError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

# Re-collections of overlapping services from concurrent deliveries would race to insert the same
# new assets; one refresh at a time per process (and one retry across processes) avoids that.
_refresh_lock = threading.Lock()

SOURCE = "assetguard.remediation"
DETAIL_TYPE = "Remediation Execution Status Change"
COUNTED = ("SUCCEEDED", "FAILED")


class RemediationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_id: str
    runbook: str
    approval: Literal["manual", "auto"] = "manual"
    parameters: dict[str, Any] = Field(default_factory=dict)
    max_attempts: int = Field(3, ge=1, le=100)
    cooldown_seconds: int = Field(300, ge=0, le=7 * 86400)
    use_ssm: bool = False


class RemediationService:
    def __init__(self, platform: Platform, *, env: RunbookEnv | None = None) -> None:
        self.platform = platform
        aws = platform.settings.aws
        self.env = env or RunbookEnv(profile=aws.profile, endpoint_url=aws.endpoint_url)

    # -- configuration --------------------------------------------------------------------------
    def config(self, rule_id: str) -> RemediationConfig:
        rule = load_all_rules().get(rule_id)
        with self.platform.db.connect() as conn:
            row = conn.execute(select(remediation_configs).where(remediation_configs.c.rule_id == rule_id)).first()
        if row is not None:
            return RemediationConfig(rule_id=rule_id, runbook=row.runbook, approval=row.approval,
                                     parameters=row.parameters, max_attempts=row.max_attempts,
                                     cooldown_seconds=row.cooldown_seconds, use_ssm=row.use_ssm)
        if not rule.meta.runbook:
            raise NotFoundError(f"rule {rule_id!r} has no runbook bound; configure one with --runbook")
        return RemediationConfig(rule_id=rule_id, runbook=rule.meta.runbook)

    def configs(self) -> list[RemediationConfig]:
        out = []
        for rid, rule in load_all_rules().items():
            try:
                out.append(self.config(rid))
            except NotFoundError:
                continue
            del rule
        return out

    def configure(self, rule_id: str, *, actor: Principal, runbook: str | None = None,
                  approval: str | None = None, parameters: dict[str, Any] | None = None,
                  max_attempts: int | None = None, cooldown_seconds: int | None = None,
                  use_ssm: bool | None = None) -> RemediationConfig:
        """Create or change a rule's remediation configuration (validated, audited)."""
        try:
            current = self.config(rule_id)
        except NotFoundError:
            if runbook is None:
                raise
            current = RemediationConfig(rule_id=rule_id, runbook=runbook)
        changes = {k: v for k, v in {"runbook": runbook, "approval": approval, "parameters": parameters,
                                      "max_attempts": max_attempts, "cooldown_seconds": cooldown_seconds,
                                      "use_ssm": use_ssm}.items() if v is not None}
        try:
            new = RemediationConfig.model_validate({**current.model_dump(), **changes})
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            raise ValidationError(first["msg"], where=".".join(str(p) for p in first["loc"])) from None
        book = load_all_runbooks().get(new.runbook)
        self._params(book, new.parameters)
        row = {**new.model_dump(), "updated_at": utcnow()}
        with self.platform.db.begin() as conn:
            exists = conn.execute(select(remediation_configs.c.rule_id)
                                  .where(remediation_configs.c.rule_id == rule_id)).first()
            if exists:
                conn.execute(update(remediation_configs).where(remediation_configs.c.rule_id == rule_id).values(row))
            else:
                conn.execute(remediation_configs.insert().values(row))
            self.platform.audit.record(conn, actor, "remediation.configure", f"compliance/rule/{rule_id}",
                                       before=current.model_dump(), after=new.model_dump())
        return new

    @staticmethod
    def _params(book: Any, parameters: dict[str, Any]) -> Any:
        try:
            return book.Params.model_validate(parameters)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            raise ValidationError(f"runbook {book.name}: {first['msg']}",
                                  where="parameters." + ".".join(str(p) for p in first["loc"])) from None

    # -- executions -----------------------------------------------------------------------------
    def request(self, rule_id: str, resource_arn: str, *, actor: Principal, trigger: str = "manual",
                dry_run: bool = False) -> dict[str, Any]:
        """Ask for a remediation. ``trigger="auto"`` (the cce-remediation rule) waits for approval
        unless the configuration says ``auto``; an operator's request (``manual``) runs at once."""
        config = self.config(rule_id)
        asset = self._asset(resource_arn)
        if trigger == "auto" and config.approval != "auto":
            return self._new(config, asset, "PENDING_APPROVAL", actor, dry_run)
        skip = None if dry_run else self._loop_guard(config, resource_arn)
        if skip:
            return self._new(config, asset, "SKIPPED", actor, dry_run, error=skip)
        execution = self._new(config, asset, "IN_PROGRESS", actor, dry_run)
        return self._execute(execution, config, asset, actor)

    def approve(self, execution_id: str, *, actor: Principal, dry_run: bool | None = None) -> dict[str, Any]:
        execution = self.get(execution_id)
        if execution["status"] != "PENDING_APPROVAL":
            raise ConflictError(f"execution {execution_id} is {execution['status']}, not PENDING_APPROVAL")
        config = self.config(execution["rule"])
        asset = self._asset(execution["resource"])
        run_dry = execution["dryRun"] if dry_run is None else dry_run
        skip = None if run_dry else self._loop_guard(config, execution["resource"])
        status = "SKIPPED" if skip else "IN_PROGRESS"
        self._transition(execution, status, actor, action="remediation.approve", approved_by=actor.name, error=skip,
                         dry_run=run_dry)
        execution = self.get(execution_id)
        if skip:
            return execution
        return self._execute(execution, config, asset, actor)

    def reject(self, execution_id: str, *, actor: Principal, reason: str = "") -> dict[str, Any]:
        execution = self.get(execution_id)
        if execution["status"] != "PENDING_APPROVAL":
            raise ConflictError(f"execution {execution_id} is {execution['status']}, not PENDING_APPROVAL")
        self._transition(execution, "REJECTED", actor, action="remediation.reject", error=reason or "rejected")
        return self.get(execution_id)

    def get(self, execution_id: str) -> dict[str, Any]:
        with self.platform.db.connect() as conn:
            row = conn.execute(select(remediation_executions)
                               .where(remediation_executions.c.execution_id == execution_id)).first()
        if row is None:
            raise NotFoundError(f"no remediation execution {execution_id!r}")
        return self._doc(row._mapping)

    def list(self, *, status: str | None = None, resource_arn: str | None = None,
             limit: int = 100) -> builtins.list[dict[str, Any]]:
        c = remediation_executions.c
        stmt = select(remediation_executions).order_by(c.created_at.desc()).limit(limit)
        if status:
            stmt = stmt.where(c.status == status)
        if resource_arn:
            stmt = stmt.where(c.resource_arn == resource_arn)
        with self.platform.db.connect() as conn:
            return [self._doc(r._mapping) for r in conn.execute(stmt)]

    # -- internals ------------------------------------------------------------------------------
    def _asset(self, arn: str) -> dict[str, Any]:
        from assetguard.inventory.service import InventoryService

        return dict(InventoryService(self.platform).get(arn))

    def _loop_guard(self, config: RemediationConfig, arn: str) -> str | None:
        now = utcnow()
        c = remediation_executions.c
        with self.platform.db.connect() as conn:
            base = (c.rule_id == config.rule_id) & (c.resource_arn == arn) & c.status.in_(COUNTED) & \
                (c.dry_run.is_(False))
            attempts = conn.execute(select(func.count()).where(base, c.created_at >= now - timedelta(days=1)))\
                .scalar_one()
            last = conn.execute(select(func.max(c.updated_at)).where(base)).scalar_one()
        if attempts >= config.max_attempts:
            return f"MaxAttemptsReached: {attempts} attempt(s) in 24 h (limit {config.max_attempts})"
        if last is not None and config.cooldown_seconds:
            from assetguard.db.base import UTCDateTime

            last = UTCDateTime().process_result_value(last, self.platform.db.engine.dialect)
            if last and now - last < timedelta(seconds=config.cooldown_seconds):
                return f"CooldownActive: last run {int((now - last).total_seconds())} s ago " \
                       f"(cooldown {config.cooldown_seconds} s)"
        return None

    def _new(self, config: RemediationConfig, asset: dict[str, Any], status: str, actor: Principal,
             dry_run: bool, error: str | None = None) -> dict[str, Any]:
        now = utcnow()
        row = {"execution_id": new_id(), "rule_id": config.rule_id, "runbook": config.runbook,
               "resource_arn": str(asset["arn"]), "resource_type": str(asset["resourceType"]), "status": status,
               "approval": config.approval, "dry_run": dry_run, "parameters": config.parameters, "output": None,
               "error": error, "requested_by": actor.name, "approved_by": None, "created_at": now,
               "updated_at": now}
        doc = self._doc(row)
        with self.platform.db.begin() as conn:
            conn.execute(remediation_executions.insert().values(row))
            self.platform.audit.record(conn, actor, "remediation.request", doc["resource"], after=doc)
            self._publish(conn, doc)
        return doc

    def _transition(self, execution: dict[str, Any], status: str, actor: Principal, *, action: str,
                    output: dict[str, Any] | None = None, error: str | None = None,
                    approved_by: str | None = None, dry_run: bool | None = None) -> dict[str, Any]:
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if output is not None:
            values["output"] = output
        if error is not None:
            values["error"] = error
        if approved_by is not None:
            values["approved_by"] = approved_by
        if dry_run is not None:
            values["dry_run"] = dry_run
        with self.platform.db.begin() as conn:
            conn.execute(update(remediation_executions)
                         .where(remediation_executions.c.execution_id == execution["executionId"]).values(values))
            row = conn.execute(select(remediation_executions).where(
                remediation_executions.c.execution_id == execution["executionId"])).one()
            doc = self._doc(row._mapping)
            self.platform.audit.record(conn, actor, action, doc["resource"],
                                       before={"status": execution["status"]},
                                       after={"status": status, "executionId": doc["executionId"],
                                              "output": output, "error": error})
            self._publish(conn, doc)
        return doc

    def _execute(self, execution: dict[str, Any], config: RemediationConfig, asset: dict[str, Any],
                 actor: Principal) -> dict[str, Any]:
        book = load_all_runbooks().get(config.runbook)()
        params = self._params(book, config.parameters)
        dry_run = bool(execution["dryRun"])
        try:
            if config.use_ssm and book.ssm_document and not dry_run:
                ssm = self.env.client("ssm", asset.get("awsRegion"))
                started = ssm.start_automation_execution(DocumentName=book.ssm_document,
                                                         Parameters=book.ssm_parameters(asset, params))
                output: dict[str, Any] = {"changed": True, "ssmDocument": book.ssm_document,
                                          "ssmAutomationExecutionId": started.get("AutomationExecutionId"),
                                          "actions": [f"started {book.ssm_document}"]}
            else:
                output = book.run(asset, params, self.env, dry_run).as_dict()
        except Exception as exc:  # noqa: BLE001 - any runbook failure is recorded as FAILED with its reason
            return self._transition(execution, "FAILED", actor, action="remediation.execute",
                                    error=f"{type(exc).__name__}: {exc}"[:2000])
        if not dry_run:
            output["reevaluation"] = self._reevaluate(config.rule_id, asset, actor, book.refresh_types)
        return self._transition(execution, "SUCCEEDED", actor, action="remediation.execute", output=output)

    def _reevaluate(self, rule_id: str, asset: dict[str, Any], actor: Principal,
                    refresh_types: tuple[str, ...] = ()) -> dict[str, Any]:
        """Re-collect the resource and evaluate ``rule_id`` on it; returns the new result."""
        from assetguard.compliance.evaluator import ComplianceEvaluator

        arn = str(asset["arn"])
        refresh_errors: builtins.list[str] = []
        try:
            with _refresh_lock:
                try:
                    refresh_errors = self._refresh(asset, actor, refresh_types)
                except IntegrityError:  # another worker process stored the same new asset first
                    refresh_errors = self._refresh(asset, actor, refresh_types)
            report = ComplianceEvaluator(self.platform).evaluate_asset(arn, rule_ids=[rule_id], actor=actor)
        except Exception as exc:  # noqa: BLE001 - the fix ran; a failed re-check is reported, not fatal
            return {"error": f"{type(exc).__name__}: {exc}"[:500]}
        results = [e.result for e in report.evaluations]
        out: dict[str, Any] = {"complianceType": results[0].compliance_type if results else None,
               "annotation": results[0].annotation if results else ""}
        if refresh_errors:
            out["refreshErrors"] = refresh_errors
        return out

    def _refresh(self, asset: dict[str, Any], actor: Principal, refresh_types: tuple[str, ...] = ()) -> builtins.list[str]:
        """Re-collect the asset (and ``refresh_types``); returns the collection's error messages."""
        from assetguard.inventory.service import InventoryService

        rtype = str(asset.get("resourceType"))
        if rtype == "AssetGuard::Host::Linux":
            from assetguard.compliance.hostfacts import gather_host_facts

            root = self.env.host_root(asset)
            fresh = {**asset, "configuration": {**(asset.get("configuration") or {}),
                                                "hostSecurity": gather_host_facts(Path(root))}}
            InventoryService(self.platform).apply_collection("compliance.remediation", [fresh], actor=actor)
            return []
        if rtype.startswith("AWS::"):
            from assetguard.inventory.collectors.aws.collector import TASKS
            from assetguard.inventory.runner import aws_options, run_collection

            wanted = {rtype, *refresh_types}
            labels = [t.label for t in TASKS if wanted & set(t.resource_types)]
            region = asset.get("awsRegion")
            options = aws_options(self.platform)
            if region and region != "global":
                options["regions"] = [region]
            options["services"] = labels
            summary = run_collection(self.platform, "aws", options, actor=actor)
            return [f"{e.where}: {e.code} {e.message}"[:300] for e in summary.errors]
        return []

    def _publish(self, conn: Any, doc: dict[str, Any]) -> None:
        detail = {"executionId": doc["executionId"], "runbook": doc["runbook"], "rule": doc["rule"],
                  "resource": doc["resource"], "resourceType": doc["resourceType"], "status": doc["status"],
                  "approval": doc["approval"], "dryRun": doc["dryRun"], "output": doc["output"],
                  "error": doc["error"]}
        self.platform.bus.publish(SOURCE, DETAIL_TYPE, detail, resources=[doc["resource"]], conn=conn)

    @staticmethod
    def _doc(row: Any) -> dict[str, Any]:
        def ts(v: Any) -> Any:
            return v.isoformat() if hasattr(v, "isoformat") else v

        return {"executionId": row["execution_id"], "rule": row["rule_id"], "runbook": row["runbook"],
                "resource": row["resource_arn"], "resourceType": row["resource_type"], "status": row["status"],
                "approval": row["approval"], "dryRun": bool(row["dry_run"]), "parameters": row["parameters"],
                "output": row["output"], "error": row["error"], "requestedBy": row["requested_by"],
                "approvedBy": row["approved_by"], "createdAt": ts(row["created_at"]),
                "updatedAt": ts(row["updated_at"])}
