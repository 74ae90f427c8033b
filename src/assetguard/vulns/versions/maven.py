"""Maven ordering (``org.apache.maven.artifact.versioning.ComparableVersion``).

The lower-cased version is parsed into a list of items: ``.`` separates items, ``-`` and every
digit/letter transition start a nested sub-list. Items are integers, qualifiers or sub-lists.
Trailing "null" items (``0``, ``""``/``ga``/``final``/``release``, empty lists) are dropped.
Qualifiers order ``alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp``,
unknown qualifiers after all of them alphabetically; ``a1``/``b1``/``m1`` mean alpha/beta/milestone.
When comparing, a missing item is "null": an integer beats a qualifier and a list; a list beats
a qualifier::

    1-alpha2 < 1-beta1 < 1-m1 < 1-rc1 < 1-SNAPSHOT < 1 == 1.0 == 1-ga < 1-sp < 1-abc < 1-1 < 1.1
"""

from __future__ import annotations

from functools import total_ordering
from typing import Any

from assetguard.vulns.versions import schemes

_QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE_INDEX = str(_QUALIFIERS.index(""))

_INT, _STR, _LIST = 0, 1, 2
# (kind, value): value is an int, a comparable-qualifier str, or a tuple/list of items.
Item = tuple[int, Any]


def _qualifier(value: str, followed_by_digit: bool) -> tuple[int, str]:
    if followed_by_digit and len(value) == 1:
        value = {"a": "alpha", "b": "beta", "m": "milestone"}.get(value, value)
    value = _ALIASES.get(value, value)
    comparable = str(_QUALIFIERS.index(value)) if value in _QUALIFIERS else f"{len(_QUALIFIERS)}-{value}"
    return (_STR, comparable)


def _is_null(item: Item) -> bool:
    kind, value = item
    if kind == _INT:
        return bool(value == 0)
    if kind == _STR:
        return bool(value == _RELEASE_INDEX)
    return len(value) == 0


def _cmp(a: Item | None, b: Item | None) -> int:
    """ComparableVersion's Item.compareTo, with None as the missing item."""
    if a is None:
        return 0 if b is None else -_cmp(b, None)
    kind, value = a
    if b is None:
        if kind == _INT:
            return 0 if value == 0 else 1
        if kind == _STR:
            return int(value > _RELEASE_INDEX) - int(value < _RELEASE_INDEX)
        return 0 if not value else _cmp(value[0], None)
    bkind, bvalue = b
    if kind == _INT:
        return int(value > bvalue) - int(value < bvalue) if bkind == _INT else 1
    if kind == _STR:
        if bkind == _INT or bkind == _LIST:
            return -1
        return int(value > bvalue) - int(value < bvalue)
    if bkind == _INT:
        return -1
    if bkind == _STR:
        return 1
    for i in range(max(len(value), len(bvalue))):
        r = _cmp(value[i] if i < len(value) else None, bvalue[i] if i < len(bvalue) else None)
        if r:
            return r
    return 0


def _normalize(items: list[Item]) -> None:
    i = len(items) - 1
    while i >= 0:
        if _is_null(items[i]):
            del items[i]
        elif items[i][0] != _LIST:
            break
        i -= 1


def parse(version: str) -> tuple[Item, ...]:
    text = version.strip().lower()
    root: list[Item] = []
    stack: list[list[Item]] = [root]
    current = root
    is_digit = False
    start = 0

    def item(s: str, digit: bool, followed_by_digit: bool = False) -> Item:
        return (_INT, int(s)) if digit else _qualifier(s, followed_by_digit)

    def open_sublist() -> list[Item]:
        sub: list[Item] = []
        current.append((_LIST, sub))
        stack.append(sub)
        return sub

    for i, c in enumerate(text):
        if c == ".":
            current.append((_INT, 0) if i == start else item(text[start:i], is_digit))
            start = i + 1
        elif c == "-":
            current.append((_INT, 0) if i == start else item(text[start:i], is_digit))
            start = i + 1
            current = open_sublist()
        elif c.isdigit():
            if not is_digit and i > start:
                current.append(item(text[start:i], False, followed_by_digit=True))
                start = i
                current = open_sublist()
            is_digit = True
        else:
            if is_digit and i > start:
                current.append(item(text[start:i], True))
                start = i
                current = open_sublist()
            is_digit = False
    if len(text) > start:
        current.append(item(text[start:], is_digit))
    for lst in reversed(stack):
        _normalize(lst)
    return _freeze(root)


def _freeze(items: list[Item]) -> tuple[Item, ...]:
    return tuple((k, _freeze(v)) if k == _LIST else (k, v) for k, v in items)


@total_ordering
class MavenVersion:
    __slots__ = ("items",)

    def __init__(self, items: tuple[Item, ...]) -> None:
        self.items = items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MavenVersion) and _cmp((_LIST, self.items), (_LIST, other.items)) == 0

    def __lt__(self, other: MavenVersion) -> bool:
        return _cmp((_LIST, self.items), (_LIST, other.items)) < 0

    def __hash__(self) -> int:
        return hash(self.items)

    def __repr__(self) -> str:
        return f"MavenVersion({self.items!r})"


@schemes.register("maven")
def key(version: str) -> MavenVersion:
    return MavenVersion(parse(version))
