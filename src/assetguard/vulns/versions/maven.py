"""Maven ordering: ``org.apache.maven.artifact.versioning.ComparableVersion`` as Maven 3.9 ships it.

The lower-cased version is split into items. ``.`` separates items; ``-`` opens a nested
sub-list, and so does every transition between digits and letters. A letters-then-digits item
(``rc1``, ``alpha2``) is a qualifier followed by a number in its own sub-list, and a qualifier that
follows numbers opens a sub-list even after a ``.``, so ``1.0-RC1 == 1.0-rc-1 == 1.0.rc1`` and
``1.0.0.X1 < 1.0.0-X2``. The specification's splitting example::

    1-1.foo-bar1baz-.1  ->  1-1.foo-bar-1-baz-0.1   (items [1, [1, foo, [bar, [1, [baz, [0, 1]]]]]])

Then trailing "null" items (``0``, ``""``/``ga``/``final``/``release``, empty sub-lists) are
dropped from the end of every list (``1.0.0-foo.0.0 -> 1-foo``). Qualifiers order
``alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp``, unknown
qualifiers after all of them alphabetically; ``a``/``b``/``m`` directly followed by a number mean
alpha/beta/milestone. When comparing, a missing item is "null": a number beats a sub-list, which
beats a qualifier; a sub-list is compared with null item by item::

    1-alpha2 < 1-beta1 < 1-m1 < 1-rc1 < 1-SNAPSHOT < 1 == 1.0 == 1-ga < 1-sp < 1-abc < 1-1 < 1.1
"""

from __future__ import annotations

from functools import total_ordering
from typing import Any

from assetguard.vulns.versions import InvalidVersion, schemes

MAX_LENGTH = 256  # longer strings are not versions (bounded parse and compare cost)

_QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE = str(_QUALIFIERS.index(""))  # comparable form of the release qualifier
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}

# Items: (_INT, n) | (_STR, comparable qualifier, name) | (_LIST, tuple of items)
_INT, _STR, _LIST = 0, 1, 2
Item = tuple[Any, ...]
_ZERO: Item = (_INT, 0)


def _qualifier(value: str, followed_by_digit: bool) -> Item:
    if followed_by_digit and len(value) == 1:
        value = _SHORT.get(value, value)
    value = _ALIASES.get(value, value)
    comparable = str(_QUALIFIERS.index(value)) if value in _QUALIFIERS else f"{len(_QUALIFIERS)}-{value}"
    return (_STR, comparable, value)


def _item(digit: bool, text: str) -> Item:
    return (_INT, int(text)) if digit else _qualifier(text, False)


def _sign(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def _cmp(a: Item, b: Item | None) -> int:
    """``Item.compareTo``: ``b`` None is the missing item a shorter list is padded with."""
    kind = a[0]
    if kind == _INT:
        if b is None:
            return int(a[1] != 0)  # 1.0 == 1, 1.1 > 1
        return _sign(a[1], b[1]) if b[0] == _INT else 1  # 1.1 > 1-sp, 1.1 > 1-1
    if kind == _STR:
        if b is None:
            return _sign(a[1], _RELEASE)  # 1-rc < 1, 1-sp > 1
        return _sign(a[1], b[1]) if b[0] == _STR else -1  # 1.any < 1.1, 1-any < 1-1
    items = a[1]
    if b is None:
        for x in items:  # the whole list decides (MNG-6964: 1-0.alpha < 1)
            r = _cmp(x, None)
            if r:
                return r
        return 0
    if b[0] == _INT:
        return -1  # 1-1 < 1.0.x
    if b[0] == _STR:
        return 1  # 1-1 > 1-sp
    other = b[1]
    for i in range(max(len(items), len(other))):
        left = items[i] if i < len(items) else None
        right = other[i] if i < len(other) else None
        if left is None:
            r = 0 if right is None else -_cmp(right, None)
        else:
            r = _cmp(left, right)
        if r:
            return r
    return 0


def _is_null(item: Item) -> bool:
    if item[0] == _INT:
        return bool(item[1] == 0)
    if item[0] == _STR:
        return bool(item[1] == _RELEASE)
    return len(item[1]) == 0


def _normalize(items: list[Item]) -> None:
    """Drop trailing null items (0, the release qualifier, empty sub-lists), looking through sub-lists."""
    i = len(items) - 1
    while i >= 0:
        if _is_null(items[i]):
            del items[i]
        elif items[i][0] != _LIST:
            break
        i -= 1


def parse(version: str) -> Item:
    """The item list of ``version``, as ``(_LIST, items)``."""
    if len(version) > MAX_LENGTH:
        raise InvalidVersion(f"Maven version longer than {MAX_LENGTH} characters: {version[:32]!r}...")
    text = version.lower()
    root: list[Item] = []
    current = root
    lists = [root]
    is_digit = False
    start = 0

    def sublist() -> list[Item]:
        sub: list[Item] = []
        current.append((_LIST, sub))
        lists.append(sub)
        return sub

    for i, c in enumerate(text):
        if c == ".":
            current.append(_ZERO if i == start else _item(is_digit, text[start:i]))
            start = i + 1
        elif c == "-":
            current.append(_ZERO if i == start else _item(is_digit, text[start:i]))
            start = i + 1
            current = sublist()
        elif "0" <= c <= "9":  # ASCII digits only, as Maven checks
            if not is_digit and i > start:
                # letters then digits: the qualifier, then the number in a sub-list; a qualifier
                # after numbers opens a sub-list even after a "." (1.0.0.X1 < 1.0.0-X2)
                if current:
                    current = sublist()
                current.append(_qualifier(text[start:i], True))
                start = i
                current = sublist()
            is_digit = True
        else:
            if is_digit and i > start:
                current.append(_item(True, text[start:i]))
                start = i
                current = sublist()
            is_digit = False
    if len(text) > start:
        if not is_digit and current:
            current = sublist()  # ".X" is treated as "-X"
        current.append(_item(is_digit, text[start:]))
    for lst in reversed(lists):
        _normalize(lst)
    return _freeze(root)


def _freeze(items: list[Item]) -> Item:
    return (_LIST, tuple(_freeze(x[1]) if x[0] == _LIST else x for x in items))


def _ordering_form(item: Item) -> Any:
    """A hashable form, equal for versions that compare equal (``1-ga`` and ``1`` parse alike)."""
    if item[0] == _LIST:
        items = list(item[1])
        while items and _cmp(items[-1], None) == 0:
            items.pop()
        return (_LIST, tuple(_ordering_form(x) for x in items))
    return item[:2]


@total_ordering
class MavenVersion:
    """A parsed version; ``numbers`` is set when it is numbers only (``1.2.3``), the common case.

    Two numbers-only versions compare as plain int tuples: normalisation removed trailing
    zeros, so when one is a prefix of the other the longer one has a non-zero item after it and
    is newer, as tuple order says. Anything else goes through ``Item.compareTo``.
    """

    __slots__ = ("items", "numbers")

    def __init__(self, items: Item) -> None:
        self.items = items
        parts = items[1]
        self.numbers: tuple[int, ...] | None = (
            tuple(x[1] for x in parts) if all(x[0] == _INT for x in parts) else None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MavenVersion):
            return False
        if self.numbers is not None and other.numbers is not None:
            return self.numbers == other.numbers
        return _cmp(self.items, other.items) == 0

    def __lt__(self, other: MavenVersion) -> bool:
        if self.numbers is not None and other.numbers is not None:
            return self.numbers < other.numbers
        return _cmp(self.items, other.items) < 0

    def __hash__(self) -> int:
        return hash(_ordering_form(self.items))

    def canonical(self) -> str:
        """ComparableVersion's canonical form: items joined by ``.``, sub-lists by ``-``."""
        return _canonical(self.items)

    def __repr__(self) -> str:
        return f"MavenVersion({self.canonical()!r})"


def _canonical(item: Item) -> str:
    out = ""
    for x in item[1]:
        if out:
            out += "-" if x[0] == _LIST else "."
        out += _canonical(x) if x[0] == _LIST else str(x[-1])
    return out


@schemes.register("maven")
def key(version: str) -> MavenVersion:
    return MavenVersion(parse(version))
