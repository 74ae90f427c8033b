"""Compliance plugins: targets ``compliance-evaluate`` and ``remediation``, and the periodic job.

* ``compliance-evaluate`` (shipped rule ``compliance-on-change``): evaluates the asset carried by an
  ``Asset Configuration Change`` event — that asset only;
* ``remediation`` (shipped rule ``cce-remediation``): runs the runbook bound to the rule named in a
  ``Compliance Rule Evaluation Change`` event (approval ``auto``), or files a pending approval;
* job ``compliance.evaluate`` (hourly): every asset against every rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assetguard.auth.principal import SYSTEM
from assetguard.core.errors import DeliveryError, NotFoundError
from assetguard.runtime.scheduler import Job, jobs

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


def evaluate_all(platform: Platform) -> dict[str, int]:
    from assetguard.compliance.evaluator import ComplianceEvaluator

    return ComplianceEvaluator(platform).evaluate(pack="all").counts


@jobs.register("compliance.evaluate")
def _periodic_job() -> Job:
    return Job("compliance.evaluate", 3600, evaluate_all)


try:
    from assetguard.targets.base import Delivery, Target, TargetConfig, targets
except ImportError:  # the events engineer's targets package is not installed yet
    targets = None  # type: ignore[assignment]

if targets is not None:

    @targets.register("compliance-evaluate")
    class ComplianceEvaluate(Target):
        """Evaluate the compliance rules for the asset in an ``Asset Configuration Change`` event.

        Example target::

            - id: compliance-evaluate
              type: compliance-evaluate
        """

        type = "compliance-evaluate"

        class Config(TargetConfig):
            pass

        def deliver(self, delivery: Delivery) -> str | None:
            from assetguard.compliance.evaluator import ComplianceEvaluator

            detail: dict[str, Any] = dict(delivery.event.get("detail") or {})
            asset = detail.get("asset")
            if not isinstance(asset, dict) or not asset.get("arn"):
                raise DeliveryError("event carries no asset", code="NoAsset", retryable=False)
            deleted = detail.get("changeType") == "DELETE"
            try:
                # Evaluate the newest stored version (events can arrive late); fall back to the event's copy.
                report = ComplianceEvaluator(self.platform).evaluate_asset(
                    str(asset["arn"]), asset=None if not deleted else asset, deleted=deleted, actor=SYSTEM)
            except NotFoundError:
                report = ComplianceEvaluator(self.platform).evaluate_asset(str(asset["arn"]), asset=asset,
                                                                           deleted=deleted, actor=SYSTEM)
            return f"{len(report.evaluations)} evaluation(s), {report.changes} change(s)"

    @targets.register("remediation")
    class RemediationTarget(Target):
        """Run (or queue for approval) the runbook bound to the rule of a compliance change event.

        Example target::

            - id: remediation
              type: remediation
              config: {dry_run: false}
        """

        type = "remediation"

        class Config(TargetConfig):
            dry_run: bool = False

        def deliver(self, delivery: Delivery) -> str | None:
            from assetguard.compliance.remediation import RemediationService

            detail = dict(delivery.event.get("detail") or {})
            rule, arn = detail.get("configRuleName"), detail.get("arn")
            if not rule or not arn:
                raise DeliveryError("event names no rule or resource", code="NoRule", retryable=False)
            if (detail.get("newEvaluationResult") or {}).get("complianceType") != "NON_COMPLIANT":
                return "resource is not NON_COMPLIANT; nothing to do"
            try:
                execution = RemediationService(self.platform).request(
                    str(rule), str(arn), actor=SYSTEM, trigger="auto",
                    dry_run=bool(self.config.dry_run))  # type: ignore[attr-defined]
            except NotFoundError as exc:
                raise DeliveryError(str(exc), code="NotFound", retryable=False) from None
            return f"{execution['executionId']} {execution['status']}"
