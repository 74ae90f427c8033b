"""Ingest daily cost from the Cost Explorer API (``get_cost_and_usage``, grouped by service and account).

Cost Explorer has no region, resource or tag breakdown in this grouping, so those columns are
empty. The range is widened to whole months because an ingest replaces whole billing periods::

    ingest_cost_explorer(platform, date(2026, 9, 1), date(2026, 10, 1), actor=cli_principal())
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from assetguard.auth.principal import Principal
from assetguard.core.errors import ValidationError, provider_error
from assetguard.cost.ingest import IngestSummary
from assetguard.cost.period import budget_period
from assetguard.cost.store import CostStore, PeriodKey

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

PERMISSIONS = ("ce:GetCostAndUsage", "sts:GetCallerIdentity")


def _session(platform: Platform) -> boto3.Session:
    aws = platform.settings.aws
    return boto3.Session(profile_name=aws.profile) if aws.profile else boto3.Session()


def ingest_cost_explorer(platform: Platform, start: date, end: date, *, actor: Principal,
                         payer_account: str | None = None, client: Any = None, evaluate: bool = True) -> IngestSummary:
    if end <= start:
        raise ValidationError("end must be after start")
    start = budget_period("MONTHLY", start)[0]
    last = date.fromordinal(end.toordinal() - 1)
    end = budget_period("MONTHLY", last)[1]
    session = _session(platform)
    endpoint = platform.settings.aws.endpoint_url
    ce = client or session.client("ce", region_name="us-east-1", endpoint_url=endpoint)
    try:
        payer = payer_account or session.client("sts", region_name="us-east-1", endpoint_url=endpoint) \
            .get_caller_identity()["Account"]
        results = _fetch(ce, start, end)
    except (ClientError, BotoCoreError) as exc:
        raise provider_error("Cost Explorer", exc) from None
    rows: list[tuple[Any, ...]] = []
    currencies: set[str] = set()
    for result in results:
        day = date.fromisoformat(result["TimePeriod"]["Start"])
        period = budget_period("MONTHLY", day)[0]
        for group in result.get("Groups", []):
            keys = group.get("Keys", [])
            service = keys[0] if keys else ""
            account = keys[1] if len(keys) > 1 else payer
            metrics = group.get("Metrics", {})
            billed = metrics.get("UnblendedCost", {})
            effective = metrics.get("AmortizedCost", billed)
            unit = billed.get("Unit", "USD")
            currencies.add(unit)
            rows.append(("AWS", payer, period, day, account, service, "", "", "", "Usage", "{}", unit,
                         float(billed.get("Amount", 0)), float(effective.get("Amount", 0)), 1))
    if len(currencies) > 1:
        raise ValidationError(f"Cost Explorer returned mixed currencies: {', '.join(sorted(currencies))}")
    months: list[date] = []
    cursor = start
    while cursor < end:
        months.append(cursor)
        cursor = budget_period("MONTHLY", cursor)[1]
    summary = IngestSummary(source="cost-explorer", format="ce", rows_read=len(rows), rows_stored=len(rows))
    for month in months:
        mine = [r for r in rows if r[2] == month]
        summary.periods.append({
            "provider": "AWS", "billingAccountId": payer, "billingPeriodStart": month.isoformat(),
            "rowsRead": len(mine), "rowsStored": len(mine), "billedCost": round(sum(r[12] for r in mine), 6),
            "currency": next(iter(currencies), "USD"),
            "firstDay": min((r[3] for r in mine), default=month).isoformat(),
            "lastDay": max((r[3] for r in mine), default=month).isoformat()})
    keys = [PeriodKey("AWS", payer, m) for m in months]
    store = CostStore(platform)
    store.replace_periods(keys, [rows] if rows else [], summary.periods,
                          source=f"cost-explorer:{start}/{end}", fmt="ce", actor=actor)
    if evaluate:
        from assetguard.cost.evaluate import BudgetEvaluator

        BudgetEvaluator(platform).evaluate_on_ingest(store.last_day())
    return summary


def _fetch(ce: Any, start: date, end: date) -> list[dict[str, Any]]:
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": "DAILY",
        "Metrics": ["UnblendedCost", "AmortizedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
    }
    out: list[dict[str, Any]] = []
    while True:
        page = ce.get_cost_and_usage(**request)
        out.extend(page.get("ResultsByTime", []))
        token = page.get("NextPageToken")
        if not token:
            return out
        request["NextPageToken"] = token
