"""Findings plugins: the ``findings-notified`` target and the 90-day retention job.

The shipped ``security-alerts`` rule ends with::

    - id: findings-notified
      type: findings-notified

so each finding it delivered moves from NEW to NOTIFIED.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assetguard.auth.principal import SYSTEM
from assetguard.core.errors import DeliveryError, NotFoundError
from assetguard.runtime.scheduler import Job, jobs

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


def _purge(platform: Platform) -> int:
    from assetguard.findings.hub import FindingsHub

    return FindingsHub(platform).purge_expired()


@jobs.register("findings.retention")
def _retention_job() -> Job:
    return Job("findings.retention", 6 * 3600, _purge, run_at_start=True)


try:
    from assetguard.targets.base import Delivery, Target, TargetConfig, targets
except ImportError:  # the events engineer's targets package is not installed yet
    targets = None  # type: ignore[assignment]

if targets is not None:

    @targets.register("findings-notified")
    class FindingsNotified(Target):
        """Marks the finding carried by a ``Findings - Imported`` event NOTIFIED (only if still NEW).

        Example target in a rule::

            - id: findings-notified
              type: findings-notified
              config: {note: "alert sent to #security"}
        """

        type = "findings-notified"

        class Config(TargetConfig):
            note: str | None = None

        def deliver(self, delivery: Delivery) -> str | None:
            from assetguard.findings.hub import FindingsHub

            detail = delivery.event.get("detail") or {}
            found = detail.get("findings") or []
            if not found:
                raise DeliveryError("event carries no finding", code="NoFinding", retryable=False)
            hub = FindingsHub(self.platform)
            receipts = []
            for finding in found:
                try:
                    current = hub.get(finding["ProductArn"], finding["Id"])
                except NotFoundError:
                    raise DeliveryError(f"finding {finding.get('Id')!r} no longer exists", code="FindingNotFound",
                                        retryable=False) from None
                # Idempotent: a redelivery, or a finding a person already moved on, is left alone.
                if current["Workflow"]["Status"] != "NEW":
                    receipts.append(f"{finding['Id']} already {current['Workflow']['Status']}")
                    continue
                # The note's UpdatedAt records when the alert went out (mean time to notification).
                note = self.config.note or f"alert sent by rule {delivery.rule}"  # type: ignore[attr-defined]
                hub.update_workflow(finding["ProductArn"], finding["Id"], "NOTIFIED", actor=SYSTEM, note=note)
                receipts.append(f"marked {finding['Id']} NOTIFIED")
            return "; ".join(receipts)
