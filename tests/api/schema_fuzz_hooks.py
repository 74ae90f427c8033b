"""schemathesis hooks for tests/api/test_schema_fuzz.py (loaded through ``SCHEMATHESIS_HOOKS``).

Each rule below keeps one constraint across values that JSON Schema cannot state out of the generated
bodies, and nothing else; every other constraint is in the published schema. A rule only adds to
or swaps values, so a body the schema refuses stays refused, and a body whose shape is not the one
the rule is about passes through unchanged.

- ``PUT /cost/budgets``: budget names unique within one request, and notifications unique by type,
  operator, threshold and threshold type within a budget.
- ``PUT /tags/policies/{name}``: a ``tag_key`` assigns its own policy key (capitalisation may differ).
- ``POST /events/replays``: ``end`` after ``start``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import schemathesis


def _unique_name(name: str, taken: set[str]) -> str:
    # only ever appends, so a name the schema refuses (too long, a ':' in it) stays refused
    candidate, index = name, 1
    while candidate in taken and len(name) + 4 <= 100:
        candidate, index = f"{name}-{index}", index + 1
    return candidate


def _budgets(body: Any) -> Any:
    if isinstance(body, dict):
        items = body.get("Budgets") if "Budgets" in body and "Budget" not in body else [body]
    else:
        items = body
    if not isinstance(items, list):
        return body
    names: set[str] = set()
    for item in items:
        budget = item.get("Budget") if isinstance(item, dict) else None
        if isinstance(budget, dict) and isinstance(budget.get("BudgetName"), str) and budget["BudgetName"]:
            budget["BudgetName"] = _unique_name(budget["BudgetName"], names)
            names.add(budget["BudgetName"])
        notifications = item.get("NotificationsWithSubscribers") if isinstance(item, dict) else None
        if not isinstance(notifications, list):
            continue
        seen: set[tuple[Any, ...]] = set()
        for entry in notifications:
            n = entry.get("Notification") if isinstance(entry, dict) else None
            if not isinstance(n, dict) or not isinstance(n.get("Threshold"), int | float) \
                    or isinstance(n["Threshold"], bool):
                continue
            # a repeated notification moves its threshold away from zero: one out of range stays out of range
            step = 1 if n["Threshold"] >= 0 else -1
            while (key := (repr(n.get("NotificationType")), repr(n.get("ComparisonOperator")),
                           float(n["Threshold"]), repr(n.get("ThresholdType", "PERCENTAGE")))) in seen:
                n["Threshold"] += step
            seen.add(key)
    return body


def _tag_policy(body: Any) -> Any:
    tags = body.get("tags") if isinstance(body, dict) else None
    if isinstance(tags, dict):
        for key, rule in tags.items():
            tag_key = rule.get("tag_key") if isinstance(rule, dict) else None
            if isinstance(tag_key, dict) and isinstance(tag_key.get("@@assign"), str):
                tag_key["@@assign"] = key
    return body


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if isinstance(text, str) else None
    except ValueError:
        return None


def _replay(body: Any) -> Any:
    if isinstance(body, dict):
        start, end = _when(body.get("start")), _when(body.get("end"))
        if start is not None and end is not None:
            try:
                later = end > start
            except TypeError:  # one with a zone, one without
                return body
            if not later:
                body["start"], body["end"] = body["end"], body["start"]
                if start == end:
                    body["end"] = (end.replace(year=end.year + 1) if end.year < 9999 else end).isoformat()
                    body["start"] = (start.replace(year=start.year - 1) if start.year > 1 else start).isoformat()
    return body


RULES = {("PUT", "/cost/budgets"): _budgets, ("PUT", "/tags/policies/{name}"): _tag_policy,
         ("POST", "/events/replays"): _replay}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    """Every phase (examples, coverage, fuzzing, stateful) passes here just before a request is sent."""
    rule = RULES.get((case.method.upper(), case.operation.path))
    if rule is not None:
        case.body = rule(case.body)
