"""Reading user-supplied files with errors that say where: ``file:line:column`` for JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assetguard.core.errors import ValidationError


def load_json(path: Path, text: str | None = None) -> Any:
    """Parse a JSON file; a syntax error names ``path:line:column``."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ValidationError("file does not exist", where=str(path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read file: {exc}", where=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}:{exc.colno}") from None


def expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if not isinstance(value, kind):
        raise ValidationError(f"expected {what}, found {type(value).__name__}", where=where)
    return value
