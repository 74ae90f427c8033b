"""Cost plugins: the periodic budget evaluation job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assetguard.runtime.scheduler import Job, jobs

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

EVALUATE_EVERY_SECONDS = 3600.0


def _evaluate(platform: Platform) -> None:
    from assetguard.cost.evaluate import BudgetEvaluator

    BudgetEvaluator(platform).evaluate()


@jobs.register("cost.budgets.evaluate")
def _job() -> Job:
    return Job("cost.budgets.evaluate", EVALUATE_EVERY_SECONDS, _evaluate, run_at_start=True)
