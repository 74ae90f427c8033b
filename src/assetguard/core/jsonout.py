"""JSON output that is always JSON: ``NaN`` and ``Infinity`` are refused, never printed.

Python's ``json.dumps`` writes bare ``NaN``/``Infinity`` tokens by default, which no JSON parser
accepts. Everything assetguard prints or serves as JSON (CLI ``--json`` contracts, API
responses) goes through :func:`dumps`, which refuses them and names where the value sits::

    dumps({"limit": float("inf")})
    # ValueError: not JSON: a non-finite number (inf) at limit
"""

from __future__ import annotations

import json
import math
from typing import Any


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` with ``allow_nan=False``; a non-finite float raises ``ValueError`` naming its path."""
    try:
        return json.dumps(value, allow_nan=False, **kwargs)
    except ValueError:
        path = non_finite_path(value)
        if path is None:
            raise
        where, number = path
        raise ValueError(f"not JSON: a non-finite number ({number}) at {where or '(top)'}") from None


def non_finite_path(value: Any, path: str = "") -> tuple[str, float] | None:
    """The JSON path of the first NaN or infinity inside ``value``, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    if isinstance(value, dict):
        for key, item in value.items():
            found = non_finite_path(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = non_finite_path(item, f"{path}[{index}]")
            if found:
                return found
    return None
