"""Aggregates over the findings hub for dashboards and Prometheus, done in SQL on indexed columns
so they stay fast with 100,000 findings.

"Open" means what Security Hub's console counts as active work: RecordState ACTIVE and workflow
NEW or NOTIFIED.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select

from assetguard.findings.tables import findings as findings_table

_c = findings_table.c
OPEN = and_(_c.record_state == "ACTIVE", _c.workflow_status.in_(("NEW", "NOTIFIED")))


def open_by_severity(platform: Any) -> dict[str, int]:
    stmt = select(_c.severity_label, func.count()).where(OPEN).group_by(_c.severity_label)
    with platform.db.connect() as conn:
        return {label: int(n) for label, n in conn.execute(stmt)}


def open_top(platform: Any, column: str, limit: int = 10) -> list[tuple[str, int]]:
    """Open findings grouped by ``generator_id`` (the rule) or ``resource_id`` (the asset), largest first."""
    col = getattr(_c, column)
    stmt = select(col, func.count().label("n")).where(OPEN).group_by(col).order_by(func.count().desc(), col) \
        .limit(limit)
    with platform.db.connect() as conn:
        return [(str(v), int(n)) for v, n in conn.execute(stmt)]


def created_per_day(platform: Any, since: datetime) -> dict[tuple[date, str], int]:
    """Findings first seen per UTC day and severity (the severity × time chart)."""
    day = func.date(_c.created_at)
    stmt = select(day, _c.severity_label, func.count()).where(_c.created_at >= since) \
        .group_by(day, _c.severity_label)
    out: dict[tuple[date, str], int] = {}
    with platform.db.connect() as conn:
        for d, label, n in conn.execute(stmt):
            key = d if isinstance(d, date) else date.fromisoformat(str(d)[:10])
            out[(key, label)] = int(n)
    return out


def mean_time_to_notify(platform: Any, sample: int = 5000) -> float | None:
    """Mean seconds from a finding's CreatedAt to the note the notification target leaves (newest ``sample``)."""
    stmt = select(_c.data).where(_c.workflow_status == "NOTIFIED").order_by(_c.updated_at.desc()).limit(sample)
    deltas = []
    with platform.db.connect() as conn:
        for (doc,) in conn.execute(stmt):
            note = (doc.get("Note") or {}).get("UpdatedAt")
            created = doc.get("CreatedAt")
            if note and created:
                try:
                    deltas.append((_parse(note) - _parse(created)).total_seconds())
                except ValueError:
                    continue
    return sum(deltas) / len(deltas) if deltas else None


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def filtered(where: dict[str, str | None], text: str | None = None) -> list[Any]:
    """SQL conditions for the keyword filters the Findings page offers (None/"" = no condition)."""
    conds: list[Any] = [getattr(_c, col) == value for col, value in where.items() if value]
    if text:
        conds.append(_c.title.contains(text))
    return conds


def count_and_daily(platform: Any, conds: list[Any], since: datetime) -> tuple[int, dict[tuple[str, date], int]]:
    """How many findings match, and per (severity, UTC day of UpdatedAt) since ``since`` — in SQL."""
    day = func.date(_c.updated_at)
    with platform.db.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(findings_table).where(*conds)).scalar_one())
        rows = conn.execute(select(_c.severity_label, day, func.count()).where(*conds, _c.updated_at >= since)
                            .group_by(_c.severity_label, day))
        daily = {(label, d if isinstance(d, date) else date.fromisoformat(str(d)[:10])): int(n)
                 for label, d, n in rows}
    return total, daily
