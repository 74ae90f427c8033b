"""Evaluate budgets: actual and forecast per budget period, notification firing, events.

Semantics follow AWS Budgets:

* ``ACTUAL`` fires at most once per budget period, the first time its condition holds.
* ``FORECASTED`` fires when the forecast crosses; when the forecast falls back the notification
  re-arms (state ``OK``) and may fire again if it crosses again.
* ``DAILY`` budgets have no forecast; with too little history there is none either, and
  ``FORECASTED`` notifications do not fire.

Each firing writes ``cost_budget_state`` (key: budget, notification, period) and publishes
``Budget Threshold Breached`` in the same transaction, so a restart never re-sends. Evaluating
``as_of`` a past day is stateful in exactly the same way::

    BudgetEvaluator(platform).evaluate(as_of=date(2026, 9, 19))
    # [{"budget": "monthly-total", "period": {...}, "limit": 1000.0, "actual": 512.3, "forecast": {...},
    #   "notifications": [{"type": "ACTUAL", ..., "fired": True, "firedAt": "2026-09-19"}]}]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.clock import utcnow
from assetguard.cost.budget import BudgetDefinition, NotificationWithSubscribers
from assetguard.cost.budgets import BudgetStore
from assetguard.cost.filters import budget_filter
from assetguard.cost.forecast import MIN_HISTORY_DAYS, Forecast, ForecastResult, forecast_total
from assetguard.cost.ingest import duckdb_connection
from assetguard.cost.period import budget_period
from assetguard.cost.store import CostStore
from assetguard.cost.tables import cost_budget_state

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)

SOURCE = "assetguard.cost"
DETAIL_TYPE = "Budget Threshold Breached"
HISTORY_DAYS = 200
METRIC_COLUMN = {"BilledCost": "billed_cost", "EffectiveCost": "effective_cost"}


@dataclass
class BudgetStatus:
    definition: BudgetDefinition
    period_start: date
    period_end: date
    limit: float | None
    actual: float
    forecast: Forecast | None
    forecast_reason: str | None


def threshold_amount(nws: NotificationWithSubscribers, limit: float | None) -> float | None:
    n = nws.Notification
    if n.ThresholdType == "ABSOLUTE_VALUE":
        return float(n.Threshold)
    return None if limit is None else limit * float(n.Threshold) / 100.0


def condition_holds(operator: str, value: float, amount: float) -> bool:
    if operator == "GREATER_THAN":
        return value > amount
    if operator == "LESS_THAN":
        return value < amount
    # EQUAL_TO on money: equal to the cent.
    return round(value, 2) == round(amount, 2)


class BudgetEvaluator:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.budgets = BudgetStore(platform)
        self.costs = CostStore(platform)

    def evaluate_on_ingest(self, last_day: date | None) -> list[dict[str, Any]]:
        """After an ingest: evaluate as of the newest data day (never in the future)."""
        if last_day is None:
            return []
        today = utcnow().date()
        return self.evaluate(as_of=min(today, last_day))

    def evaluate(self, as_of: date | None = None, names: list[str] | None = None, *,
                 actor: Principal = SYSTEM) -> list[dict[str, Any]]:
        """Evaluate budgets with data up to and including ``as_of`` (default: today, UTC); fire and record
        notifications; return the JSON contract, one entry per budget."""
        as_of = as_of or utcnow().date()
        definitions = self.budgets.list()
        if names:
            known = {d.name for d in definitions}
            missing = [n for n in names if n not in known]
            if missing:
                from assetguard.core.errors import NotFoundError

                raise NotFoundError(f"no budget named {', '.join(missing)}")
            definitions = [d for d in definitions if d.name in names]
        if not definitions:
            return []
        statuses = self.compute(definitions, as_of)
        out = []
        for status in statuses:
            fired = self._notify(status, as_of, actor)
            out.append(contract(status, fired))
        return out

    def compute(self, definitions: list[BudgetDefinition], as_of: date) -> list[BudgetStatus]:
        """Actual and forecast for each budget's period containing ``as_of`` (no state change)."""
        periods = {d.name: budget_period(d.Budget.TimeUnit, as_of) for d in definitions}
        window_start = min(min(p[0] for p in periods.values()), as_of - timedelta(days=HISTORY_DAYS))
        con = duckdb_connection(self.platform)
        try:
            self.costs.attach(con, window_start, as_of + timedelta(days=1))
            row = con.execute("SELECT min(day), max(day) FROM daily").fetchone()
            first_day, last_day = (row or (None, None))
            cache: dict[tuple[str, str, date], tuple[np.ndarray, ForecastResult | None]] = {}
            statuses = []
            for d in definitions:
                start, end = periods[d.name]
                predicate = budget_filter(d.Budget)
                column = METRIC_COLUMN[d.Budget.metric]
                key = (predicate, column, start)
                if key not in cache:
                    cache[key] = self._series(con, predicate, column, first_day, last_day, start, end,
                                              d.Budget.TimeUnit)
                values, result = cache[key]
                offset = (start - first_day).days if first_day else 0
                actual = float(values[max(offset, 0):].sum()) if first_day and last_day and last_day >= start else 0.0
                statuses.append(BudgetStatus(d, start, end, d.Budget.limit_for(start), actual,
                                             result.forecast if result else None,
                                             None if result is None else result.reason if result.forecast is None
                                             else None))
            return statuses
        finally:
            con.close()

    @staticmethod
    def _series(con: Any, predicate: str, column: str, first_day: date | None, last_day: date | None,
                start: date, end: date, time_unit: str) -> tuple[np.ndarray, ForecastResult | None]:
        if first_day is None or last_day is None:
            empty = np.zeros(0)
            if time_unit == "DAILY":
                return empty, None
            return empty, ForecastResult(None, f"too little history: 0 day(s), need {MIN_HISTORY_DAYS}")
        n = (last_day - first_day).days + 1
        values = np.zeros(n)
        rows = con.execute(f"SELECT day, sum({column}) FROM daily WHERE {predicate} GROUP BY day").fetchall()
        for day, total in rows:
            values[(day - first_day).days] = float(total or 0.0)
        if time_unit == "DAILY":
            return values, None
        return values, forecast_total(values, first_day, observed_end=last_day, period_start=start, period_end=end)

    def _notify(self, status: BudgetStatus, as_of: date, actor: Principal) -> dict[str, dict[str, Any]]:
        """Fire what is due for one budget in one transaction; returns the state per notification key."""
        d = status.definition
        out: dict[str, dict[str, Any]] = {}
        for attempt in range(2):
            try:
                with self.platform.db.begin() as conn:
                    out = {nws.Notification.key: self._notify_one(conn, status, nws, as_of, actor)
                           for nws in d.NotificationsWithSubscribers}
                return out
            except IntegrityError:
                # A concurrent evaluation inserted the same state row first; re-read and decide again.
                if attempt:
                    raise
        return out

    def _notify_one(self, conn: Connection, status: BudgetStatus, nws: NotificationWithSubscribers, as_of: date,
                    actor: Principal) -> dict[str, Any]:
        n = nws.Notification
        name = status.definition.name
        key_cond = (cost_budget_state.c.budget == name, cost_budget_state.c.notification == n.key,
                    cost_budget_state.c.period_start == status.period_start)
        row = conn.execute(select(cost_budget_state).where(*key_cond)).first()
        state = dict(row._mapping) if row else None
        amount = threshold_amount(nws, status.limit)
        if n.NotificationType == "ACTUAL":
            value: float | None = status.actual
        else:
            value = status.forecast.mean if status.forecast is not None else None
        holds = amount is not None and value is not None and condition_holds(n.ComparisonOperator, value, amount)
        now = utcnow()
        armed = state is None or (n.NotificationType == "FORECASTED" and state["state"] == "OK")
        if holds and armed:
            event_id = self.platform.bus.publish(SOURCE, DETAIL_TYPE, event_detail(status, nws, as_of),
                                                 resources=[f"urn:assetguard:budget:{name}"], conn=conn)
            values = {"state": "ALARM", "last_fired_on": as_of, "last_event_id": event_id, "updated_at": now,
                      "fired_count": (state["fired_count"] if state else 0) + 1}
            if state is None:
                conn.execute(insert(cost_budget_state).values(
                    budget=name, notification=n.key, period_start=status.period_start, first_fired_on=as_of,
                    **values))
            else:
                conn.execute(update(cost_budget_state).where(*key_cond).values(**values))
            self.platform.audit.record(conn, actor, "cost.budget.notify", f"budget/{name}",
                                       before=_audit_state(state),
                                       after={"notification": n.key, "period": status.period_start.isoformat(),
                                              "state": "ALARM", "firedOn": as_of.isoformat(), "eventId": event_id})
            state = {**(state or {}), **values, "first_fired_on": (state or {}).get("first_fired_on") or as_of}
        elif (not holds and state is not None and n.NotificationType == "FORECASTED" and state["state"] == "ALARM"
              and value is not None):
            # The forecast fell back below the threshold: re-arm, as AWS does.
            conn.execute(update(cost_budget_state).where(*key_cond).values(state="OK", updated_at=now))
            self.platform.audit.record(conn, actor, "cost.budget.rearm", f"budget/{name}",
                                       before=_audit_state(state),
                                       after={"notification": n.key, "period": status.period_start.isoformat(),
                                              "state": "OK"})
            state = {**state, "state": "OK"}
        return state or {}


def _audit_state(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {"state": state["state"], "firedCount": state["fired_count"],
            "lastFiredOn": state["last_fired_on"].isoformat() if state.get("last_fired_on") else None}


def event_detail(status: BudgetStatus, nws: NotificationWithSubscribers, as_of: date) -> dict[str, Any]:
    """The ``Budget Threshold Breached`` detail (see DESIGN.md's event catalog)."""
    return {
        "budget": status.definition.name,
        "notification": nws.Notification.contract(),
        "actual": round(status.actual, 2),
        "forecast": status.forecast.contract() if status.forecast else None,
        "limit": status.limit,
        "unit": status.definition.Budget.unit,
        "period": {"start": status.period_start.isoformat(), "end": status.period_end.isoformat()},
        "asOf": as_of.isoformat(),
        "subscribers": nws.emails,
        "snsTopics": [s.Address for s in nws.Subscribers if s.SubscriptionType == "SNS"],
    }


def contract(status: BudgetStatus, states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One entry of ``assetguard budgets evaluate --json`` (the contract other tools rely on)."""
    notifications = []
    for nws in status.definition.NotificationsWithSubscribers:
        state = states.get(nws.Notification.key) or {}
        fired_on = state.get("last_fired_on")
        notifications.append({**nws.Notification.contract(), "fired": bool(state.get("fired_count")),
                              "firedAt": fired_on.isoformat() if fired_on else None})
    return {
        "budget": status.definition.name,
        "period": {"start": status.period_start.isoformat(), "end": status.period_end.isoformat()},
        "limit": status.limit,
        "actual": round(status.actual, 2),
        "forecast": status.forecast.contract() if status.forecast else None,
        "notifications": notifications,
    }
