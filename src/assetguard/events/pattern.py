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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.events.event_leaves import (
    MISSING,
    TRAILS,
    Leaves,
    Path,
    PathTrie,
    SlotTrie,
    Trail,
    build_path_trie,
    build_slot_trie,
    clause_matches,
    extract_leaves,
    extract_slots,
    has_trails,
)
from assetguard.events.pattern_operators import (
    NULL_KEY,
    NUMERIC_LIMIT,
    OPERATORS,
    NotOneOf,
    NumericRange,
    ValueTest,
    Wildcard,
    check_number,
    compile_operator,
    compile_wildcard,
    fail_at,
    fold,
    foldable,
    is_number,
    value_key,
)

# Re-exported: the event readers and operator tests used to live here.
__all__ = ["MISSING", "NULL_KEY", "NUMERIC_LIMIT", "OPERATORS", "TRAILS", "Clause", "CompiledPattern", "FieldTest",
           "Leaves", "NotOneOf", "NumericRange", "Path", "PathTrie", "SlotTrie", "Trail", "ValueTest", "Wildcard",
           "build_path_trie", "build_slot_trie", "clause_matches", "compile_pattern", "compile_wildcard",
           "extract_leaves", "extract_slots", "has_trails", "value_key"]

# Field names that make a "$or" array an ordinary field instead of an OR (event-ruler's reserved names).
RESERVED_IN_OR = OPERATORS | {"$or"}
MAX_OR_COMBINATIONS = 1024


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
        raise fail_at(jpath, "empty objects are not allowed in a pattern")
    alternatives: list[list[FieldTest]] = [[]]
    for key, value in obj.items():
        if not isinstance(key, str):
            raise fail_at(jpath, "field names must be strings")
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
            raise fail_at(here, "a pattern field must be an object or an array of match values, "
                              f"got {type(value).__name__} {value!r}")
    return alternatives


def _product(left: list[list[FieldTest]], right: list[list[FieldTest]],
             jpath: tuple[str | int, ...]) -> list[list[FieldTest]]:
    if len(left) * len(right) > MAX_OR_COMBINATIONS:
        raise fail_at(jpath, f"the pattern's $or combinations exceed {MAX_OR_COMBINATIONS}")
    return [[*a, *b] for a in left for b in right]


def _compile_values(values: list[Any], path: Path, jpath: tuple[str | int, ...]) -> FieldTest:
    if not values:
        raise fail_at(jpath, "empty arrays are not allowed in a pattern")
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
            kind, test = compile_operator(value, here)
            if kind == "absent":
                allow_absent = True
            elif test is not None:
                tests.append(test)
                if isinstance(value.get("prefix"), str):
                    prefixes.add(value["prefix"])
                else:
                    only_prefixes = False
                if isinstance(value.get("equals-ignore-case"), str) and foldable(value["equals-ignore-case"]):
                    folded.add(fold(value["equals-ignore-case"]))
                else:
                    only_folded = False
        elif isinstance(value, list):
            raise fail_at(here, "nested arrays are not allowed in match values")
        elif isinstance(value, str | bool) or value is None:
            exact.add(value_key(value))
        elif is_number(value):
            check_number(value, here, limited=False)  # the ±5e9 limit is numeric's only
            exact.add(value_key(value))
        else:
            raise fail_at(here, f"unsupported match value {value!r}")
    return FieldTest(path, frozenset(exact), tuple(tests), allow_absent,
                     frozenset(prefixes) if only_prefixes and tests else frozenset(),
                     frozenset(folded) if only_folded and tests else frozenset())

