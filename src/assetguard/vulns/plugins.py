"""Vulnerability plugins: the ``vulns-rescan`` target and the ``vulns.index-warm`` job.

The shipped rule ``events/defaults/vulns-on-change.yaml`` routes every ``Asset Configuration
Change`` of a package-carrying asset (hosts, images, SBOMs) to this target, which re-scans that
asset only (or resolves its findings when the asset was deleted)::

    - id: rescan
      type: vulns-rescan
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assetguard.auth.principal import SYSTEM
from assetguard.core.errors import DeliveryError
from assetguard.runtime.scheduler import Job, jobs

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


def warm_index(platform: Platform) -> int:
    """Compile the advisories for every inventory package into this process's index.

    ``assetguard up`` runs the scheduler and the worker in one process, so event-driven re-scans
    of single assets then skip the cold load (a few tenths of a second per 2,000 packages against
    300,000 advisories on an idle core; BENCHMARKS.md). Returns the number of packages seen.
    """
    from assetguard.inventory.service import InventoryService
    from assetguard.vulns.scanner import VulnerabilityScanner, packages_of

    packages = [p for a in InventoryService(platform).list_assets() for p in packages_of(a)]
    VulnerabilityScanner(platform).index_for(packages)
    return len(packages)


@jobs.register("vulns.index-warm")
def _warm_job() -> Job:
    # Hourly: cheap when nothing changed (loaded keys are skipped); reloads after a database update.
    return Job("vulns.index-warm", 3600, warm_index, run_at_start=True)


try:
    from assetguard.targets.base import Delivery, Target, TargetConfig, targets
except ImportError:  # the events engineer's targets package is not installed
    targets = None  # type: ignore[assignment]

if targets is not None:

    @targets.register("vulns-rescan")
    class VulnsRescan(Target):
        """Re-scan the asset carried by an ``Asset Configuration Change`` event for vulnerabilities.

        Idempotent: a repeated delivery finds the findings already in step and changes nothing.

        Example target in a rule::

            - id: rescan
              type: vulns-rescan
        """

        type = "vulns-rescan"

        class Config(TargetConfig):
            pass

        def deliver(self, delivery: Delivery) -> str | None:
            from assetguard.vulns.scanner import VulnerabilityScanner

            event = delivery.event
            detail = event.get("detail") or {}
            asset = detail.get("asset") or {}
            arn = asset.get("arn") or next(iter(event.get("resources") or []), None)
            if not arn:
                raise DeliveryError("event carries no asset ARN (detail.asset.arn or resources[0])",
                                    code="InvalidEvent", retryable=False)
            scanner = VulnerabilityScanner(self.platform)
            if detail.get("changeType") == "DELETE":
                summary = scanner.forget_asset(arn, actor=SYSTEM)
            else:
                summary = scanner.scan_asset(arn, actor=SYSTEM)
            return (f"{arn}: {summary.findings_opened} new, {summary.findings_updated} updated, "
                    f"{summary.findings_resolved} resolved")
