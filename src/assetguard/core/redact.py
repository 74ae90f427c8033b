"""Secret redaction for audit records, logs and API output.

>>> redact({"smtp": {"password": "hunter2", "host": "mx"}})
{'smtp': {'password': '***', 'host': 'mx'}}
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "***"
_SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|webhook_?url|api_?key|private_?key|authorization|cookie|credential|signing_?key)",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key))


def redact(value: Any) -> Any:
    """Copy of ``value`` with the values of secret-looking keys replaced by ``***``."""
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and is_secret_key(k) and v not in (None, "") else redact(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if hasattr(value, "get_secret_value"):
        return REDACTED
    return value
