"""Target input: constant ``input``, ``input_path`` and EventBridge's input transformer.

``InputPathsMap`` (at most 100 variables) binds names to JSONPaths into the event;
``InputTemplate`` refers to them as ``<name>``. Reserved variables, always available and not
definable: ``aws.events.rule-arn``, ``aws.events.rule-name``, ``aws.events.event`` (the event as
JSON), ``aws.events.event.json`` (the event's JSON text as a string) and
``aws.events.event.ingestion-time``.

EventBridge's quirks, kept on purpose:

* A template that starts with ``{`` or ``[`` is a JSON template: a placeholder in value position
  becomes the JSON of the value (strings quoted); inside a quoted string it becomes the value's raw
  text, *without* escaping (so a value containing ``"`` breaks the JSON, as on AWS).
* A template that starts with ``"`` is a string template and must be one JSON string; the target
  receives the string. Any other template is passed as plain text.
* A variable whose path is not in the event is not created: it renders as ``null`` in value
  position and as nothing inside a string.
* If a JSON template does not render to valid JSON, the target receives the rendered text.

>>> render_template('"instance <i> is <s>"', {"i": "i-1", "s": "RUNNING"})
'instance i-1 is RUNNING'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assetguard.core.errors import ValidationError

MAX_VARIABLES = 100
RESERVED_PREFIX = "aws.events."
RESERVED = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event", "aws.events.event.json",
            "aws.events.event.ingestion-time")
VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
PLACEHOLDER = re.compile(r"<([A-Za-z0-9_\-.]+)>")
_MISSING = object()

JsonPath = tuple[str | int, ...]


def parse_json_path(text: str) -> JsonPath:
    """``$.detail.findings[0].Title`` → ``("detail", "findings", 0, "Title")``; ``$['a-b']`` works too."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise ValidationError(f"JSON path must start with '$', got {text!r}")
    parts: list[str | int] = []
    i = 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == ".":
            j = i + 1
            while j < n and text[j] not in ".[":
                j += 1
            name = text[i + 1:j]
            if not name:
                raise ValidationError(f"JSON path {text!r}: empty field name at {i}")
            parts.append(name)
            i = j
        elif ch == "[":
            end = text.find("]", i)
            if end < 0:
                raise ValidationError(f"JSON path {text!r}: unclosed '['")
            inner = text[i + 1:end].strip()
            if inner.isdigit():
                parts.append(int(inner))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                parts.append(inner[1:-1])
            else:
                raise ValidationError(f"JSON path {text!r}: expected [index] or ['name'], got [{inner}]")
            i = end + 1
        else:
            raise ValidationError(f"JSON path {text!r}: unexpected {ch!r} at {i}")
    return tuple(parts)


def resolve(document: Any, path: JsonPath) -> Any:
    """The value at ``path`` or the module's ``_MISSING`` sentinel."""
    node = document
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return _MISSING
            node = node[part]
        else:
            if not isinstance(node, dict) or part not in node:
                return _MISSING
            node = node[part]
    return node


def check_paths_map(paths: Mapping[str, str]) -> None:
    if len(paths) > MAX_VARIABLES:
        raise ValidationError(f"InputPathsMap has {len(paths)} variables; at most {MAX_VARIABLES} are allowed")
    for name, path in paths.items():
        if name.startswith(RESERVED_PREFIX) or name.lower().startswith("aws"):
            raise ValidationError(f"InputPathsMap variable {name!r} is reserved (names may not start with 'aws')")
        if not VARIABLE_NAME.match(name):
            raise ValidationError(f"InputPathsMap variable {name!r} may use only letters, digits, '_' and '-'")
        parse_json_path(path)


def render_template(template: str, variables: Mapping[str, Any]) -> Any:
    """Fill ``<name>`` placeholders per EventBridge's rules (see module docstring)."""
    stripped = template.strip()
    is_json = stripped[:1] in ("{", "[")
    out: list[str] = []
    in_string = False
    escaped = False
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "<":
            match = PLACEHOLDER.match(template, i)
            if match and match.group(1) in variables:
                value = variables[match.group(1)]
                out.append(_render_value(value, inside_string=in_string or not is_json))
                i = match.end()
                continue
        if ch == '"' and not escaped:
            in_string = not in_string
        escaped = ch == "\\" and not escaped
        out.append(ch)
        i += 1
    rendered = "".join(out)
    if is_json or stripped[:1] == '"':
        try:
            return json.loads(rendered)
        except ValueError:
            return rendered
    return rendered


def _render_value(value: Any, *, inside_string: bool) -> str:
    if value is _MISSING:
        return "" if inside_string else "null"
    if inside_string:
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class InputSpec:
    """A compiled target input: exactly one of constant, path, or transformer (or the whole event)."""

    constant: Any = None
    has_constant: bool = False
    path: JsonPath | None = None
    paths_map: tuple[tuple[str, JsonPath], ...] = ()
    template: str | None = None

    def apply(self, event: Mapping[str, Any], *, rule_name: str, rule_arn: str,
              ingestion_time: str | None = None) -> Any:
        if self.has_constant:
            return self.constant
        if self.path is not None:
            value = resolve(event, self.path)
            return None if value is _MISSING else value
        if self.template is None:
            return dict(event)
        variables: dict[str, Any] = {name: resolve(event, path) for name, path in self.paths_map}
        variables.update({
            "aws.events.rule-arn": rule_arn,
            "aws.events.rule-name": rule_name,
            "aws.events.event": dict(event),
            "aws.events.event.json": json.dumps(event, separators=(",", ":")),
            "aws.events.event.ingestion-time": ingestion_time or str(event.get("time", "")),
        })
        return render_template(self.template, variables)


def compile_input(*, input: Any = None, input_path: str | None = None,
                  paths_map: Mapping[str, str] | None = None, template: str | None = None) -> InputSpec:
    if input is not None:
        return InputSpec(constant=input, has_constant=True)
    if input_path is not None:
        return InputSpec(path=parse_json_path(input_path))
    if template is not None:
        check_paths_map(paths_map or {})
        return InputSpec(paths_map=tuple((k, parse_json_path(v)) for k, v in (paths_map or {}).items()),
                         template=template)
    return InputSpec()
