"""Cost plugins: the periodic budget evaluation job (interval: ``settings.cost.evaluate_interval_seconds``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assetguard.runtime.scheduler import Job, jobs

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


def evaluate_budgets(platform: Platform) -> None:
    """Evaluate every budget as of today (the scheduled job ``cost.budgets.evaluate``)."""
    from assetguard.cost.evaluate import BudgetEvaluator

    BudgetEvaluator(platform).evaluate()


@jobs.register("cost.budgets.evaluate")
def _job() -> Job:
    # Every cost.evaluate_interval_seconds from the last recorded run (scheduler_runs), by whichever
    # scheduler led then: a new leader does not evaluate again at takeover. A deployment's first
    # leader evaluates at start.
    return Job("cost.budgets.evaluate", 3600.0, evaluate_budgets, run_at_start=True,
               interval_setting=lambda settings: settings.cost.evaluate_interval_seconds)


def _register_targets() -> None:
    from assetguard.cost.notify import BudgetEmailTarget
    from assetguard.targets.base import targets

    targets.add(BudgetEmailTarget.type, BudgetEmailTarget)


_register_targets()
