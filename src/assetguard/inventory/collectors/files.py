"""Reading user-supplied files with errors that say where: ``file:line:column`` for JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.core.textfile import read_text


def load_json(path: Path, text: str | None = None) -> Any:
    """Parse a JSON file; a syntax error names ``path:line:column``."""
    if text is None:
        if not path.exists():
            raise ValidationError("file does not exist", where=str(path))
        text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}:{exc.colno}") from None


def expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if not isinstance(value, kind):
        raise ValidationError(f"expected {what}, found {type(value).__name__}", where=where)
    return value
