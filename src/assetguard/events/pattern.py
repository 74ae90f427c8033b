"""EventBridge event patterns: validation and compilation into plain matcher objects.

``compile_pattern(pattern)`` validates a pattern (raising :class:`ValidationError` whose
``where`` is the JSON path of the problem, e.g. ``$.detail.state[0].numeric``) and returns a
:class:`CompiledPattern`: a disjunction of :class:`Clause` objects (one per ``$or`` branch
combination), each a conjunction of :class:`FieldTest` s on one event path::

    >>> p = compile_pattern({"source": ["aws.ec2"], "detail": {"state": [{"prefix": "run"}]}})
    >>> p.matches({"source": "aws.ec2", "detail": {"state": "running"}})
    True

Semantics (AWS EventBridge / aws event-ruler):

* values in a pattern array are OR'ed, fields are AND'ed; an event array matches when any element
  matches; fields inside objects that sit in arrays must match within the same array element;
* values are typed JSON: ``"5"`` does not match ``5``, ``null`` is not ``""``; numbers compare by value;
* ``prefix`` / ``suffix`` (optionally ``{"equals-ignore-case": ...}`` inside), ``equals-ignore-case``,
  ``wildcard`` (``*`` any run, ``\\*`` a literal star, ``\\\\`` a backslash, ``**`` rejected) match strings only;
* ``anything-but`` takes a value, a list of all-strings or all-numbers, or ``prefix`` / ``suffix`` /
  ``equals-ignore-case`` / ``wildcard``; it matches a present leaf value the inner test does not match;
* ``numeric`` takes one comparison or a lower and an upper bound (``=`` stands alone); JSON numbers only;
* ``cidr`` takes an IPv4 or IPv6 network and matches string addresses inside it;
* ``exists`` applies to leaves only: an object-valued field does not "exist"; ``exists: false``
  matches when no leaf value is present at the path;
* ``"$or": [ {...}, {...} ]`` (two or more objects, none using an operator keyword as a field
  name) is an OR of sub-patterns; otherwise ``$or`` is an ordinary field name.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assetguard.core.errors import ValidationError

Path = tuple[str, ...]
ValueTest = Callable[[Any], bool]
Trail = tuple[tuple[int, int], ...]

OPERATORS = frozenset({"prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric",
                       "cidr", "exists"})
# Field names that make a "$or" array an ordinary field instead of an OR (event-ruler's reserved names).
RESERVED_IN_OR = OPERATORS | {"$or"}
NUMERIC_LIMIT = 5.0e9
MAX_OR_COMBINATIONS = 1024


NULL_KEY: tuple[str] = ("null",)


def value_key(value: Any) -> Any:
    """Hashable, type-exact key of a JSON scalar: strings as themselves, the rest tagged."""
    if isinstance(value, str):
        return value
    if value is None:
        return NULL_KEY
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("num", float(value))
    return ("other", repr(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class FieldTest:
    """All value tests for one event path: exact values (``exact``) or'ed with ``tests``.

    ``allow_absent`` is set by ``{"exists": false}``: the test passes when no leaf is present.
    """

    path: Path
    exact: frozenset[Any]
    tests: tuple[ValueTest, ...]
    allow_absent: bool
    prefixes: frozenset[str] = frozenset()  # set when every test is a plain (case-sensitive) prefix
    folded: frozenset[str] = frozenset()  # set when every test is equals-ignore-case: the lowered values

    @property
    def exact_only(self) -> bool:
        return bool(self.exact) and not self.tests and not self.allow_absent

    @property
    def prefix_only(self) -> bool:
        return bool(self.prefixes) and not self.exact and not self.allow_absent

    @property
    def folded_only(self) -> bool:
        return bool(self.folded) and not self.exact and not self.allow_absent

    def accepts(self, value: Any) -> bool:
        if self.exact and value_key(value) in self.exact:
            return True
        for test in self.tests:
            if test(value):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Clause:
    """A conjunction of field tests (one combination of ``$or`` branches)."""

    tests: tuple[FieldTest, ...]


@dataclass(slots=True)
class CompiledPattern:
    """A validated pattern: matches when any clause matches."""

    clauses: tuple[Clause, ...]
    paths: tuple[Path, ...] = field(default=())

    def matches(self, event: Mapping[str, Any]) -> bool:
        leaves = extract_leaves(event, build_path_trie(self.paths))
        return any(clause_matches(c, leaves) for c in self.clauses)


# ---------------------------------------------------------------- event side


PathTrie = dict[str, tuple["PathTrie", Path | None]]
Leaves = dict[Path, list[tuple[Any, Trail]]]


def build_path_trie(paths: Iterable[Path]) -> PathTrie:
    """A nested dict of the keys to follow, so extraction walks only what patterns use."""
    root: PathTrie = {}
    for path in paths:
        node = root
        for depth, key in enumerate(path):
            sub, terminal = node.get(key, ({}, None))
            if depth == len(path) - 1:
                terminal = path
            node[key] = (sub, terminal)
            node = sub
    return root


def extract_leaves(event: Mapping[str, Any], trie: PathTrie) -> Leaves:
    """Leaf values at each path of ``trie``, each with its array trail for same-element checks.

    A trail lists ``(id(array), index)`` for every array the walk went *into* (to reach an
    object or a nested array); scalar array elements add nothing. ``has_trails(leaves)`` tells
    whether any value came from inside an array of objects.
    """
    out: Leaves = {}
    _collect(event, trie, (), out)
    return out


_MISS = object()
TRAILS: Path = ("\x00trails",)  # a key no event path can produce: set when any trail is non-empty


def has_trails(leaves: Leaves) -> bool:
    return TRAILS in leaves


def _collect(node: Mapping[str, Any], trie: PathTrie, trail: Trail, out: Leaves) -> None:
    for key, (sub, terminal) in trie.items():
        value = node.get(key, _MISS)
        if value is _MISS:
            continue
        if isinstance(value, dict):
            if sub:
                _collect(value, sub, trail, out)
        elif isinstance(value, list):
            _emit_list(value, sub, terminal, trail, out)
        elif terminal is not None:
            found = out.get(terminal)
            if found is None:
                out[terminal] = [(value, trail)]
            else:
                found.append((value, trail))


def _emit_list(values: list[Any], sub: PathTrie, terminal: Path | None, trail: Trail, out: Leaves) -> None:
    for index, item in enumerate(values):
        if isinstance(item, dict):
            if sub:
                inner = (*trail, (id(values), index))
                out[TRAILS] = []
                _collect(item, sub, inner, out)
        elif isinstance(item, list):
            inner = (*trail, (id(values), index))
            out[TRAILS] = []
            _emit_list(item, sub, terminal, inner, out)
        elif terminal is not None:
            out.setdefault(terminal, []).append((item, trail))


SlotTrie = dict[str, tuple["SlotTrie", int]]
MISSING = object()  # an absent slot in extract_slots' output
_SCALARS = frozenset({str, int, float, bool, type(None)})


def build_slot_trie(paths: Sequence[Path]) -> SlotTrie:
    """Like :func:`build_path_trie`, with each path's position in ``paths`` (``-1``: not a leaf)."""
    root: SlotTrie = {}
    for slot, path in enumerate(paths):
        node = root
        for depth, key in enumerate(path):
            sub, terminal = node.get(key, ({}, -1))
            if depth == len(path) - 1:
                terminal = slot
            node[key] = (sub, terminal)
            node = sub
    return root


def extract_slots(event: Mapping[str, Any], trie: SlotTrie, size: int) -> list[Any] | None:
    """Leaf values by slot, without trails: the value itself when the path holds one leaf, the
    list when it holds an array of leaves, :data:`MISSING` when it holds none.

    Returns ``None`` when a path leads into an object or array inside an array (then fields must
    match within one element, and :func:`extract_leaves` gives the trails that checks). Lists
    returned may be the event's own: read them, never change them.
    """
    out = [MISSING] * size
    return out if _collect_slots(event, trie, out) else None


def _collect_slots(node: Mapping[str, Any], trie: SlotTrie, out: list[Any]) -> bool:
    for key, (sub, slot) in trie.items():
        value = node.get(key, _MISS)
        if value is _MISS:
            continue
        kind = type(value)
        if kind in _SCALARS:
            if slot >= 0:
                out[slot] = value
        elif kind is dict:
            if sub and not _collect_slots(value, sub, out):
                return False
        elif kind is list:
            leaves = value
            for item in value:
                if isinstance(item, dict):
                    if sub:
                        return False
                    leaves = [v for v in value if not isinstance(v, dict)]
                elif isinstance(item, list):
                    return False
            if slot >= 0 and leaves:
                out[slot] = leaves
        elif isinstance(value, dict):
            if sub and not _collect_slots(value, sub, out):
                return False
        elif isinstance(value, list):
            return False  # a list subclass: the general walk handles it
        elif slot >= 0:
            out[slot] = value
    return True


def _consistent(a: Trail, b: Trail) -> bool:
    if not a or not b:
        return True
    seen = dict(a)
    for array_id, index in b:
        other = seen.get(array_id)
        if other is not None and other != index:
            return False
    return True


def clause_matches(clause: Clause, leaves: Leaves) -> bool:
    """Full evaluation of one clause, including same-array-element consistency."""
    choices: list[list[Trail]] = []
    for test in clause.tests:
        values = leaves.get(test.path)
        if not values:
            if test.allow_absent:
                continue
            return False
        trails = [trail for value, trail in values if test.accepts(value)]
        if not trails:
            return False
        if any(trails):
            choices.append(trails)
    if len(choices) < 2:
        return True
    return _choose(choices, 0, ())


def _choose(choices: list[list[Trail]], index: int, acc: Trail) -> bool:
    if index == len(choices):
        return True
    tried: set[Trail] = set()
    for trail in choices[index]:
        if trail in tried:
            continue
        tried.add(trail)
        if _consistent(acc, trail) and _choose(choices, index + 1, (*acc, *trail)):
            return True
    return False


# ---------------------------------------------------------------- compilation


def _where(path: Sequence[str | int]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _fail(path: Sequence[str | int], message: str) -> ValidationError:
    return ValidationError(message, where=_where(path))


def compile_pattern(pattern: Any) -> CompiledPattern:
    """Validate and compile an EventBridge pattern (a dict, or its JSON text)."""
    if isinstance(pattern, str | bytes):
        import json

        try:
            pattern = json.loads(pattern)
        except ValueError as exc:
            raise ValidationError(f"pattern is not valid JSON: {exc}", where="$") from None
    if not isinstance(pattern, dict):
        raise ValidationError("an event pattern must be a JSON object", where="$")
    if not pattern:
        raise ValidationError("an event pattern must not be empty", where="$")
    alternatives = _compile_object(pattern, (), ())
    clauses = tuple(Clause(tuple(tests)) for tests in alternatives)
    paths = tuple(sorted({t.path for c in clauses for t in c.tests}))
    return CompiledPattern(clauses, paths)


def _is_or(key: str, value: Any) -> bool:
    if key != "$or" or not isinstance(value, list) or len(value) < 2:
        return False
    if not all(isinstance(item, dict) for item in value):
        return False
    return not any(k in RESERVED_IN_OR - {"$or"} for item in value for k in item)


def _compile_object(obj: dict[str, Any], path: Path, jpath: tuple[str | int, ...]) -> list[list[FieldTest]]:
    """Return the DNF of ``obj``: a list of alternatives, each a list of field tests."""
    if not obj:
        raise _fail(jpath, "empty objects are not allowed in a pattern")
    alternatives: list[list[FieldTest]] = [[]]
    for key, value in obj.items():
        if not isinstance(key, str):
            raise _fail(jpath, "field names must be strings")
        here = (*jpath, key)
        if _is_or(key, value):
            branches: list[list[FieldTest]] = []
            for index, sub in enumerate(value):
                branches.extend(_compile_object(sub, path, (*here, index)))
            alternatives = _product(alternatives, branches, here)
        elif isinstance(value, dict):
            alternatives = _product(alternatives, _compile_object(value, (*path, key), here), here)
        elif isinstance(value, list):
            test = _compile_values(value, (*path, key), here)
            alternatives = [[*alt, test] for alt in alternatives]
        else:
            raise _fail(here, "a pattern field must be an object or an array of match values, "
                              f"got {type(value).__name__} {value!r}")
    return alternatives


def _product(left: list[list[FieldTest]], right: list[list[FieldTest]],
             jpath: tuple[str | int, ...]) -> list[list[FieldTest]]:
    if len(left) * len(right) > MAX_OR_COMBINATIONS:
        raise _fail(jpath, f"the pattern's $or combinations exceed {MAX_OR_COMBINATIONS}")
    return [[*a, *b] for a in left for b in right]


def _compile_values(values: list[Any], path: Path, jpath: tuple[str | int, ...]) -> FieldTest:
    if not values:
        raise _fail(jpath, "empty arrays are not allowed in a pattern")
    exact: set[Any] = set()
    tests: list[ValueTest] = []
    prefixes: set[str] = set()
    folded: set[str] = set()
    only_prefixes = True
    only_folded = True
    allow_absent = False
    for index, value in enumerate(values):
        here = (*jpath, index)
        if isinstance(value, dict):
            kind, test = _compile_operator(value, here)
            if kind == "absent":
                allow_absent = True
            elif test is not None:
                tests.append(test)
                if isinstance(value.get("prefix"), str):
                    prefixes.add(value["prefix"])
                else:
                    only_prefixes = False
                if isinstance(value.get("equals-ignore-case"), str):
                    folded.add(value["equals-ignore-case"].lower())
                else:
                    only_folded = False
        elif isinstance(value, list):
            raise _fail(here, "nested arrays are not allowed in match values")
        elif isinstance(value, str | bool) or value is None:
            exact.add(value_key(value))
        elif _is_number(value):
            _check_number(value, here)
            exact.add(value_key(value))
        else:
            raise _fail(here, f"unsupported match value {value!r}")
    return FieldTest(path, frozenset(exact), tuple(tests), allow_absent,
                     frozenset(prefixes) if only_prefixes and tests else frozenset(),
                     frozenset(folded) if only_folded and tests else frozenset())


def _check_number(value: Any, jpath: tuple[str | int, ...]) -> float:
    if not _is_number(value) or not math.isfinite(float(value)):
        raise _fail(jpath, f"expected a finite number, got {value!r}")
    number = float(value)
    if abs(number) > NUMERIC_LIMIT:
        raise _fail(jpath, f"numbers must be between -5.0e9 and 5.0e9, got {value!r}")
    return number


def _compile_operator(obj: dict[str, Any], jpath: tuple[str | int, ...]) -> tuple[str, ValueTest | None]:
    if len(obj) != 1:
        raise _fail(jpath, f"a match object must have exactly one operator, got {sorted(obj) or 'none'}")
    (op, arg), = obj.items()
    here = (*jpath, op)
    if op == "exists":
        if not isinstance(arg, bool):
            raise _fail(here, "exists takes true or false")
        return ("absent", None) if not arg else ("test", _any_leaf)
    if op == "anything-but":
        return "test", _anything_but(arg, here)
    if op in ("prefix", "suffix", "equals-ignore-case", "wildcard", "cidr", "numeric"):
        return "test", _positive(op, arg, here)
    raise _fail(here, f"unknown operator {op!r}; expected one of {sorted(OPERATORS)}")


def _any_leaf(_value: Any) -> bool:
    return True


def _positive(op: str, arg: Any, here: tuple[str | int, ...]) -> ValueTest:
    if op in ("prefix", "suffix"):
        ignore_case = False
        if isinstance(arg, dict):
            if list(arg) != ["equals-ignore-case"]:
                raise _fail(here, f"{op} takes a string or {{\"equals-ignore-case\": string}}")
            arg = arg["equals-ignore-case"]
            ignore_case = True
            here = (*here, "equals-ignore-case")
        if not isinstance(arg, str):
            raise _fail(here, f"{op} takes a string, got {arg!r}")
        return _affix_test(op, arg, ignore_case)
    if op == "equals-ignore-case":
        if not isinstance(arg, str):
            raise _fail(here, f"equals-ignore-case takes a string, got {arg!r}")
        folded = arg.lower()
        return lambda v: isinstance(v, str) and v.lower() == folded
    if op == "wildcard":
        if not isinstance(arg, str):
            raise _fail(here, f"wildcard takes a string, got {arg!r}")
        return Wildcard(compile_wildcard(arg, here))
    if op == "cidr":
        return _cidr_test(arg, here)
    return _numeric_test(arg, here)


def _affix_test(op: str, text: str, ignore_case: bool) -> ValueTest:
    if ignore_case:
        folded = text.lower()
        if op == "prefix":
            return lambda v: isinstance(v, str) and v.lower().startswith(folded)
        return lambda v: isinstance(v, str) and v.lower().endswith(folded)
    if op == "prefix":
        return lambda v: isinstance(v, str) and v.startswith(text)
    return lambda v: isinstance(v, str) and v.endswith(text)


def compile_wildcard(text: str, here: Sequence[str | int] = ()) -> re.Pattern[str]:
    """``*`` matches any run of characters; ``\\*`` is a star, ``\\\\`` a backslash; ``**`` is an error."""
    parts: list[str] = []
    i = 0
    previous_star = False
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                raise _fail(here, f"wildcard {text!r}: a backslash may only escape '*' or '\\' (at {i})")
            parts.append(re.escape(text[i + 1]))
            previous_star = False
            i += 2
            continue
        if ch == "*":
            if previous_star:
                raise _fail(here, f"wildcard {text!r}: consecutive wildcard characters are not allowed")
            parts.append(".*")
            previous_star = True
        else:
            parts.append(re.escape(ch))
            previous_star = False
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _cidr_test(arg: Any, here: tuple[str | int, ...]) -> ValueTest:
    if not isinstance(arg, str):
        raise _fail(here, f"cidr takes a string such as \"10.0.0.0/24\", got {arg!r}")
    try:
        network = ipaddress.ip_network(arg.strip(), strict=False)
    except ValueError:
        raise _fail(here, f"{arg!r} is not a valid IPv4 or IPv6 CIDR block") from None

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return address.version == network.version and address in network

    return test


_LOWER = {">": False, ">=": True}
_UPPER = {"<": False, "<=": True}


def _numeric_test(arg: Any, here: tuple[str | int, ...]) -> ValueTest:
    if not isinstance(arg, list) or not arg or len(arg) % 2:
        raise _fail(here, "numeric takes [op, number] or [lower-op, number, upper-op, number]")
    if len(arg) > 4:
        raise _fail(here, "numeric takes at most two comparisons")
    lower: tuple[float, bool] | None = None
    upper: tuple[float, bool] | None = None
    equal: float | None = None
    for i in range(0, len(arg), 2):
        op, number = arg[i], arg[i + 1]
        value = _check_number(number, (*here, i + 1))
        if op == "=":
            if len(arg) != 2:
                raise _fail((*here, i), "numeric '=' must be the only comparison")
            equal = value
        elif op in _LOWER:
            if lower is not None:
                raise _fail((*here, i), "numeric takes at most one lower bound ('>' or '>=')")
            lower = (value, _LOWER[op])
        elif op in _UPPER:
            if upper is not None:
                raise _fail((*here, i), "numeric takes at most one upper bound ('<' or '<=')")
            upper = (value, _UPPER[op])
        else:
            raise _fail((*here, i), f"unknown numeric operator {op!r}; expected =, <, <=, >, >=")
    if lower is not None and upper is not None and lower[0] >= upper[0]:
        raise _fail(here, "numeric lower bound must be less than the upper bound")
    if equal is not None:
        return NumericRange(equal, True, equal, True)
    # A missing bound is a closed infinite one (json.loads reads Infinity as a float).
    return NumericRange(lower[0] if lower else -math.inf, lower[1] if lower else True,
                        upper[0] if upper else math.inf, upper[1] if upper else True)


class NumericRange:
    """A ``numeric`` test: JSON numbers (not booleans) between two bounds, each open or closed.

    Its bounds are public so the rule index can evaluate the common case without a call. Numbers
    compare exactly (Python compares ints and floats without rounding), so huge integers are
    fine.
    """

    __slots__ = ("low", "low_closed", "high", "high_closed")

    def __init__(self, low: float, low_closed: bool, high: float, high_closed: bool) -> None:
        self.low, self.low_closed, self.high, self.high_closed = low, low_closed, high, high_closed

    def __call__(self, value: Any) -> bool:
        if not _is_number(value) or value != value:  # NaN is in no range
            return False
        if value < self.low or (value == self.low and not self.low_closed):
            return False
        return not (value > self.high or (value == self.high and not self.high_closed))


class Wildcard:
    """A ``wildcard`` test; ``fullmatch`` is public so the rule index can call it directly."""

    __slots__ = ("fullmatch",)

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.fullmatch = regex.fullmatch

    def __call__(self, value: Any) -> bool:
        return isinstance(value, str) and self.fullmatch(value) is not None


class NotOneOf:
    """``anything-but`` a list of values: any leaf whose typed key is not in ``keys``."""

    __slots__ = ("keys",)

    def __init__(self, keys: frozenset[Any]) -> None:
        self.keys = keys

    def __call__(self, value: Any) -> bool:
        return value_key(value) not in self.keys


def _anything_but(arg: Any, here: tuple[str | int, ...]) -> ValueTest:
    inner: ValueTest
    if isinstance(arg, dict):
        if len(arg) != 1:
            raise _fail(here, "anything-but takes one of prefix, suffix, equals-ignore-case, wildcard")
        (op, value), = arg.items()
        sub = (*here, op)
        if op in ("prefix", "suffix"):
            if not isinstance(value, str):
                raise _fail(sub, f"anything-but {op} takes a string, got {value!r}")
            inner = _affix_test(op, value, False)
        elif op in ("equals-ignore-case", "wildcard"):
            items = value if isinstance(value, list) else [value]
            if not items or not all(isinstance(v, str) for v in items):
                raise _fail(sub, f"anything-but {op} takes a string or a non-empty list of strings")
            tests = [_positive(op, v, (*sub, i)) for i, v in enumerate(items)]
            inner = (lambda v: any(t(v) for t in tests)) if len(tests) > 1 else tests[0]
        else:
            raise _fail(sub, f"anything-but does not support {op!r}; use prefix, suffix, "
                             "equals-ignore-case or wildcard")
    else:
        items = arg if isinstance(arg, list) else [arg]
        if not items:
            raise _fail(here, "anything-but takes a non-empty list")
        if all(isinstance(v, str) for v in items):
            keys = frozenset(items)
        elif all(_is_number(v) for v in items):
            keys = frozenset(value_key(_check_number(v, (*here, i))) for i, v in enumerate(items))
        else:
            raise _fail(here, "anything-but takes a string, a number, or a list of only strings or only numbers")
        return NotOneOf(keys)
    positive = inner
    return lambda v: not positive(v)
