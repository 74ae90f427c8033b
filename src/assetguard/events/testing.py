"""Pattern testing, the contract other tools rely on (CLI ``events test-pattern`` and ``POST /events/test-pattern``).

>>> test_pattern({"source": ["a"]}, {"source": "a"})
True
>>> run_case({"pattern": {"source": []}, "event": {}})
{'error': '$.source: empty arrays are not allowed in a pattern'}
"""

from __future__ import annotations

import json
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.events.pattern import compile_pattern


def test_pattern(pattern: Any, event: Any) -> bool:
    """True when ``event`` matches ``pattern``; ValidationError for a bad pattern or a non-object event."""
    compiled = compile_pattern(pattern)
    if isinstance(event, str | bytes):
        try:
            event = json.loads(event)
        except ValueError as exc:
            raise ValidationError(f"event is not valid JSON: {exc}", where="event") from None
    if not isinstance(event, dict):
        raise ValidationError("an event must be a JSON object", where="event")
    return compiled.matches(event)


test_pattern.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite the name


def run_case(case: Any) -> dict[str, Any]:
    """One ``{"pattern", "event"}`` case → ``{"match": bool}`` or ``{"error": "..."}``."""
    if not isinstance(case, dict) or "pattern" not in case or "event" not in case:
        return {"error": "each case must be an object with \"pattern\" and \"event\""}
    try:
        return {"match": test_pattern(case["pattern"], case["event"])}
    except ValidationError as exc:
        return {"error": str(exc)}


def run_cases_text(lines: list[str]) -> list[dict[str, Any]]:
    """Cases from JSON Lines text; blank lines are skipped, bad JSON is an error line."""
    out: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except ValueError as exc:
            out.append({"error": f"line {number}: invalid JSON: {exc}"})
            continue
        out.append(run_case(case))
    return out
