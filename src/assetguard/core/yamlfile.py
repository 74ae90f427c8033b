"""YAML loading that remembers where each value came from.

``load_yaml(path)`` returns the data and a :class:`SourceMap` that answers "which line holds
``bus.url``?", so validation errors can name the key *and* the line::

    data, where = load_yaml(Path("assetguard.yaml"))
    where.describe(("bus", "url"))   # -> "assetguard.yaml:7 (bus.url)"
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from assetguard.core.errors import ValidationError
from assetguard.core.textfile import read_text

PathKey = tuple[str | int, ...]


class SourceMap:
    """JSON path → 1-based line number in the source file."""

    def __init__(self, filename: str, lines: dict[PathKey, int]) -> None:
        self.filename = filename
        self.lines = lines

    def line_of(self, path: Sequence[str | int]) -> int | None:
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)

    def describe(self, path: Sequence[str | int]) -> str:
        dotted = json_path(path)
        line = self.line_of(path)
        loc = f"{self.filename}:{line}" if line else self.filename
        return f"{loc} ({dotted})" if dotted else loc


def json_path(path: Sequence[str | int]) -> str:
    """``("rules", 0, "name")`` → ``rules[0].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            _walk(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def parse_yaml(text: str, filename: str) -> tuple[Any, SourceMap]:
    """Parse YAML text; syntax errors become :class:`ValidationError` naming file and line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ValidationError(f"invalid YAML: {exc.problem or exc}", where=f"{filename}{line}") from None
    except yaml.YAMLError as exc:
        raise ValidationError(f"invalid YAML: {exc}", where=filename) from None
    lines: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, SourceMap(filename, lines)


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Read and parse a YAML (or JSON, which is YAML) file."""
    return parse_yaml(read_text(path), str(path))


def pydantic_errors(exc: Any, where: SourceMap | None, filename: str = "") -> str:
    """Render a pydantic ``ValidationError`` as one line per problem, with file:line and key."""
    parts = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if isinstance(p, str | int)]
        place = where.describe(loc) if where else (f"{filename} ({json_path(loc)})" if filename else json_path(loc))
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown key"
        parts.append(f"{place}: {msg}")
    return "; ".join(parts)
