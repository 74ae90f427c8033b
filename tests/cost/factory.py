"""Generated FOCUS / CUR files for cost tests (small, deterministic)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

FOCUS_COLUMNS = [
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "ProviderName",
    "PublisherName", "RegionId", "ResourceId", "ServiceCategory", "ServiceName", "SubAccountId", "Tags",
]


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def focus_row(day: date, cost: float, *, service: str = "Amazon Elastic Compute Cloud", account: str = "111111111111",
              region: str = "us-east-1", resource: str = "i-1", tags: dict[str, str] | None = None,
              currency: str = "USD", effective: float | None = None, category: str = "Usage",
              billing_account: str = "999999999999", provider: str = "AWS") -> dict[str, Any]:
    start = month_start(day)
    return {
        "BilledCost": f"{cost:.6f}", "BillingAccountId": billing_account, "BillingAccountName": "payer",
        "BillingCurrency": currency, "BillingPeriodEnd": f"{next_month(day)}T00:00:00Z",
        "BillingPeriodStart": f"{start}T00:00:00Z", "ChargeCategory": category, "ChargeClass": "",
        "ChargeDescription": "generated", "ChargePeriodEnd": f"{day + timedelta(days=1)}T00:00:00Z",
        "ChargePeriodStart": f"{day}T00:00:00Z", "ContractedCost": f"{cost:.6f}",
        "EffectiveCost": f"{(cost if effective is None else effective):.6f}", "InvoiceIssuerName": "AWS",
        "ListCost": f"{cost:.6f}", "ProviderName": provider, "PublisherName": "AWS", "RegionId": region,
        "ResourceId": resource, "ServiceCategory": "Compute", "ServiceName": service, "SubAccountId": account,
        "Tags": json.dumps(tags) if tags else "",
    }


def write_focus_csv(path: Path, rows: Iterable[dict[str, Any]], columns: list[str] | None = None) -> Path:
    cols = columns or FOCUS_COLUMNS
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def daily_rows(start: date, end: date, amount: Callable[[date], float], **kw: Any) -> list[dict[str, Any]]:
    """Two rows per day: 75 % EC2 tagged team=web, 25 % S3 untagged."""
    out = []
    for d in days(start, end):
        total = amount(d)
        out.append(focus_row(d, total * 0.75, tags={"team": "web", "env": "prod"}, **kw))
        out.append(focus_row(d, total * 0.25, service="Amazon Simple Storage Service", resource="bucket-a", **kw))
    return out
