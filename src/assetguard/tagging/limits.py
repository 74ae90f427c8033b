"""AWS tag limits: 50 tags per resource, key ≤ 128, value ≤ 256, allowed characters, no ``aws:`` keys.

>>> tag_problem("aws:createdBy", "x")
'keys with the reserved prefix aws: cannot be set'
>>> merge_tags({"Owner": "a"}, {"Owner": "b", "Team": "c"}, overwrite=False)
({'Team': 'c'}, {'Owner': 'already set on the resource'})
"""

from __future__ import annotations

import re

MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
# Unicode letters and digits, white space, and + - = . _ : / @
_ALLOWED = re.compile(r"^[\w\s+\-=.:/@]*$")


_SYMBOLS = r"\s+\-=.:/@"
# tag_problem's rules as patterns for a JSON Schema (no lookahead): a value of allowed characters, and
# a key of allowed characters that does not begin with aws: in any case.
VALUE_PATTERN = rf"^[\w{_SYMBOLS}]*$"
_ANY, _NO_A, _NO_W, _NO_S = (rf"[\w{_SYMBOLS}]", rf"([^\WaA]|[{_SYMBOLS}])", rf"([^\WwW]|[{_SYMBOLS}])",
                             rf"([^\WsS]|[{_SYMBOLS}])")
KEY_PATTERN = rf"^({_NO_A}|[aA]($|{_NO_W}|[wW]($|{_NO_S}|[sS]($|[\w\s+\-=./@]))))({_ANY})*$"


def tag_problem(key: str, value: str) -> str | None:
    """Why AWS would refuse this tag, or None."""
    if not key:
        return "tag keys must not be empty"
    if len(key) > MAX_KEY:
        return f"key longer than {MAX_KEY} characters"
    if len(value) > MAX_VALUE:
        return f"value longer than {MAX_VALUE} characters"
    if key.lower().startswith("aws:"):
        return "keys with the reserved prefix aws: cannot be set"
    if not _ALLOWED.match(key):
        return "key has characters outside letters, digits, spaces and + - = . _ : / @"
    if not _ALLOWED.match(value):
        return "value has characters outside letters, digits, spaces and + - = . _ : / @"
    return None


def sanitize_value(value: str) -> str:
    """Make an identity string usable as a tag value (replace disallowed characters, cut to 256)."""
    cleaned = "".join(ch if _ALLOWED.match(ch) else "_" for ch in value)
    return cleaned[:MAX_VALUE]


def merge_tags(existing: dict[str, str], wanted: dict[str, str], *, overwrite: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Which of ``wanted`` to apply on top of ``existing``; returns (to_apply, skipped_with_reason)."""
    apply: dict[str, str] = {}
    skipped: dict[str, str] = {}
    count = len(existing)
    for key, value in wanted.items():
        problem = tag_problem(key, value)
        if problem:
            skipped[key] = problem
            continue
        if key in existing:
            if existing[key] == value:
                continue
            if not overwrite:
                skipped[key] = "already set on the resource"
                continue
            apply[key] = value
            continue
        if count >= MAX_TAGS:
            skipped[key] = f"the resource would exceed {MAX_TAGS} tags"
            continue
        apply[key] = value
        count += 1
    return apply, skipped
