"""Where the money went: daily spend, top services and spend by tag (with the untagged share).

Used by the CLI (``assetguard cost summary``), the API and the console Cost page::

    CostReport(platform).overview(date(2026, 9, 1), date(2026, 10, 1))
    # {"total": ..., "daily": [{"day": "2026-09-01", "cost": ...}], "services": [...],
    #  "untagged": {"cost": ..., "share": 0.31}, "tags": [{"key": "team", "cost": ..., "values": [...]}]}
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from assetguard.cost.evaluate import METRIC_COLUMN
from assetguard.cost.ingest import duckdb_connection
from assetguard.cost.store import CostStore

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


class CostReport:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def overview(self, start: date | None = None, end: date | None = None, *, metric: str = "BilledCost",
                 top: int = 10) -> dict[str, Any]:
        end = end or (self.platform_today() + timedelta(days=1))
        start = start or (end - timedelta(days=30))
        column = METRIC_COLUMN[metric]
        con = duckdb_connection(self.platform)
        try:
            CostStore(self.platform).attach(con, start, end)
            total = float(con.execute(f"SELECT coalesce(sum({column}), 0) FROM daily").fetchone()[0])  # type: ignore[index]
            daily = [{"day": d.isoformat(), "cost": round(float(c), 2)} for d, c in con.execute(
                f"SELECT day, sum({column}) FROM daily GROUP BY day ORDER BY day").fetchall()]
            services = [{"service": s or "(none)", "cost": round(float(c), 2)} for s, c in con.execute(
                f"SELECT service_name, sum({column}) c FROM daily GROUP BY 1 ORDER BY c DESC LIMIT {int(top)}"
            ).fetchall()]
            untagged = float(con.execute(f"SELECT coalesce(sum({column}), 0) FROM daily WHERE tags = '{{}}'")
                             .fetchone()[0])  # type: ignore[index]
            tag_rows = con.execute(
                f"WITH t AS (SELECT unnest(json_keys(tags)) AS k, tags, {column} AS c FROM daily WHERE tags <> '{{}}') "
                f"SELECT k, json_extract_string(tags, '$.\"' || replace(k, '\"', '') || '\"') AS v, sum(c) "
                f"FROM t GROUP BY 1, 2").fetchall()
        finally:
            con.close()
        keys: dict[str, dict[str, Any]] = {}
        for key, value, cost in tag_rows:
            entry = keys.setdefault(key, {"key": key, "cost": 0.0, "values": []})
            entry["cost"] += float(cost)
            entry["values"].append({"value": value if value is not None else "", "cost": round(float(cost), 2)})
        tags = sorted(keys.values(), key=lambda e: -e["cost"])[:top]
        for entry in tags:
            entry["values"] = sorted(entry["values"], key=lambda v: -v["cost"])[:top]
            entry["untagged"] = round(total - entry["cost"], 2)
            entry["cost"] = round(entry["cost"], 2)
        return {
            "start": start.isoformat(), "end": end.isoformat(), "metric": metric, "total": round(total, 2),
            "daily": daily, "services": services,
            "untagged": {"cost": round(untagged, 2), "share": round(untagged / total, 4) if total else 0.0},
            "tags": tags,
        }

    @staticmethod
    def platform_today() -> date:
        from assetguard.core.clock import utcnow

        return utcnow().date()


def budget_status(platform: Platform, name: str, as_of: date | None = None) -> dict[str, Any]:
    """One budget's contract entry (actual, forecast, notification states) without firing anything."""
    from assetguard.core.clock import utcnow
    from assetguard.cost.budgets import BudgetStore
    from assetguard.cost.evaluate import BudgetEvaluator, contract

    store = BudgetStore(platform)
    definition = store.get(name)
    [status] = BudgetEvaluator(platform).compute([definition], as_of or utcnow().date())
    states = {s["notification"]: s for s in store.states(name) if s["period_start"] == status.period_start}
    return contract(status, states)
