"""Cost and budgets API: spend overview, ingestions, budgets (CreateBudget JSON), evaluation.

``POST /cost/budgets/evaluate`` returns the same JSON contract as ``assetguard budgets evaluate --json``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.api.schema import IsoDate, json_body
from assetguard.core.errors import ValidationError
from assetguard.cost.budget import definitions_from_json
from assetguard.cost.budget_schema import budgets_body_schema
from assetguard.cost.budgets import BudgetStore
from assetguard.cost.evaluate import BudgetEvaluator
from assetguard.cost.report import CostReport, budget_status
from assetguard.cost.store import CostStore

router = APIRouter(prefix="/cost", tags=["cost"])


@router.get("/overview")
def overview(_p: ViewerDep, platform: PlatformDep, start: IsoDate | None = None, end: IsoDate | None = None,
             metric: Literal["BilledCost", "EffectiveCost"] = "BilledCost",
             top: int = Query(10, ge=1, le=100)) -> dict[str, Any]:
    """Daily spend, top services and spend by tag with the untagged share."""
    return CostReport(platform).overview(start, end, metric=metric, top=top)


@router.get("/ingestions")
def ingestions(_p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
    """The stored billing periods and the file each came from."""
    return CostStore(platform).ingestions()


@router.get("/budgets")
def list_budgets(_p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
    return [d.stored() for d in BudgetStore(platform).list()]


@router.get("/budgets/{name}")
def get_budget(name: str, _p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    return BudgetStore(platform).get(name).stored()


@router.put("/budgets", openapi_extra=json_body(budgets_body_schema()))
def put_budgets(principal: OperatorDep, platform: PlatformDep,
                body: Any = Body(..., description="a CreateBudget input, a list of them, or {Budgets: [...]}")
                ) -> dict[str, Any]:
    """Create or replace budgets (AWS CreateBudget JSON)."""
    if not isinstance(body, dict | list):  # a body that is not JSON arrives as bytes
        raise ValidationError("expected a JSON object or array (Content-Type: application/json)", where="request body")
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:  # JSON may escape a lone UTF-16 surrogate (\ud800), which is no character
        raise ValidationError(f"a string holds a lone UTF-16 surrogate ({exc.object[exc.start]!r}), which is not "
                              "a character", where="request body") from None
    definitions = definitions_from_json(body, "request body")
    return {"results": BudgetStore(platform).put(definitions, actor=principal)}


@router.delete("/budgets/{name}")
def delete_budget(name: str, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    BudgetStore(platform).delete(name, actor=principal)
    return {"deleted": name}


@router.post("/budgets/evaluate")
async def evaluate(principal: OperatorDep, platform: PlatformDep, as_of: IsoDate | None = Query(None, alias="asOf"),
                   budget: list[str] | None = Query(None)) -> list[dict[str, Any]]:
    """Evaluate (stateful: fires due notifications); returns the ``budgets evaluate --json`` contract."""
    return await run_in_threadpool(BudgetEvaluator(platform).evaluate, as_of, budget, actor=principal)


@router.get("/budgets/{name}/status")
def get_budget_status(name: str, _p: ViewerDep, platform: PlatformDep,
                      as_of: IsoDate | None = Query(None, alias="asOf")) -> dict[str, Any]:
    """Actual, forecast and notification states without firing anything (read-only)."""
    return budget_status(platform, name, as_of)
