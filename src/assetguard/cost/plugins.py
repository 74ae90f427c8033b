"""Cost plugins: the periodic budget evaluation job (interval: ``settings.cost.evaluate_interval_seconds``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from assetguard.runtime.scheduler import Job, jobs

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

TICK_SECONDS = 60.0


class _LastRun:
    at: float | None = None


def evaluate_if_due(platform: Platform) -> bool:
    """Evaluate every budget as of today when the configured interval has passed; True if it ran."""
    from assetguard.cost.evaluate import BudgetEvaluator

    last = platform.singleton("cost.evaluate.last_run", _LastRun)
    now = time.monotonic()
    if last.at is not None and now - last.at < platform.settings.cost.evaluate_interval_seconds:
        return False
    last.at = now
    BudgetEvaluator(platform).evaluate()
    return True


@jobs.register("cost.budgets.evaluate")
def _job() -> Job:
    # The job factory cannot see settings, so it ticks each minute and the run checks the interval.
    return Job("cost.budgets.evaluate", TICK_SECONDS, evaluate_if_due, run_at_start=True)


def _register_targets() -> None:
    from assetguard.cost.notify import BudgetEmailTarget
    from assetguard.targets.base import targets

    targets.add(BudgetEmailTarget.type, BudgetEmailTarget)


_register_targets()
