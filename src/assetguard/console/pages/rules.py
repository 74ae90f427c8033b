"""Rules page: every event rule with its state, targets and delivery counts (delivered, pending,
retries, dead letters); enable/disable a rule; the dead-letter queue with redrive."""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from assetguard.console.page import (
    ConsoleOperatorDep,
    ConsoleViewerDep,
    NavItem,
    Pager,
    PlatformDep,
    console_url,
    render,
)

router = APIRouter()
NAV = NavItem("Rules", "/rules")
DLQ_PAGE = 50
CONDITION_WORDS = {"smtp-configured": "sends only when SMTP is configured",
                   "slack-configured": "sends only when Slack is configured",
                   "no-notifier-configured": "sends only when neither SMTP nor Slack is configured"}


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep,
               offset: int = Query(0, ge=0, le=10**9)) -> HTMLResponse:
    from assetguard.events.delivery import DeliveryLedger
    from assetguard.events.dlq import DeadLetters
    from assetguard.events.rule_store import RuleStore

    rules = RuleStore(platform).list_rules()
    counts = DeliveryLedger(platform).counts_by_rule()
    dead, pager = Pager.of(DeadLetters(platform).list(limit=DLQ_PAGE + 1, offset=offset), offset=offset,
                           limit=DLQ_PAGE)  # the dead-letter queue, newest first
    from assetguard.events.ruleset import condition_holds

    # Each target's send condition in words, and whether it holds with today's settings.
    conditions = {c: (CONDITION_WORDS[c], condition_holds(c, platform.settings)) for c in CONDITION_WORDS}
    return render(request, "rules/index.html", {
        "rules": [r.as_dict() for r in rules], "counts": counts, "dead": dead, "pager": pager,
        "conditions": conditions,
        "empty": {"DELIVERED": 0, "PENDING": 0, "IN_FLIGHT": 0, "FAILED": 0, "retries": 0},
    })


@router.post("/rules/{name}/state")
def set_rule_state(request: Request, name: str, principal: ConsoleOperatorDep, platform: PlatformDep,
                   state: str = Form(...)) -> RedirectResponse:
    from assetguard.events.rule_store import RuleStore

    RuleStore(platform).set_state(name, state, actor=principal)
    return RedirectResponse(console_url("/rules"), status_code=303)


@router.post("/rules/dlq/redrive")
def redrive(request: Request, principal: ConsoleOperatorDep, platform: PlatformDep,
            dlq_id: int | None = Form(None)) -> RedirectResponse:
    from assetguard.events.dlq import DeadLetters

    DeadLetters(platform).redrive(ids=[dlq_id] if dlq_id is not None else None, actor=principal)
    return RedirectResponse(console_url("/rules"), status_code=303)
