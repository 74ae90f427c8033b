"""Budget periods: the calendar day, month, quarter or year containing a date.

>>> budget_period("MONTHLY", date(2026, 9, 19))
(datetime.date(2026, 9, 1), datetime.date(2026, 10, 1))
"""

from __future__ import annotations

from datetime import date, timedelta


def budget_period(time_unit: str, day: date) -> tuple[date, date]:
    """``(start, end)`` with ``end`` exclusive."""
    if time_unit == "DAILY":
        return day, day + timedelta(days=1)
    if time_unit == "MONTHLY":
        start = day.replace(day=1)
        return start, _add_months(start, 1)
    if time_unit == "QUARTERLY":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return start, _add_months(start, 3)
    if time_unit == "ANNUALLY":
        return date(day.year, 1, 1), date(day.year + 1, 1, 1)
    raise ValueError(f"unknown TimeUnit {time_unit!r}")


def _add_months(start: date, months: int) -> date:
    index = start.month - 1 + months
    return date(start.year + index // 12, index % 12 + 1, 1)
