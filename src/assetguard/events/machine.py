"""Many compiled patterns in one index, so matching does not scan every rule.

Like aws/event-ruler's state machine, clauses are stored in a trie whose edges are *keys* an
event can offer, taken in one global order of *key spaces*. A key space is a path and a way of
reading its values:

* ``exact`` — the typed value itself (``"aws.ec2"``; other JSON types as ``value_key`` tags);
* ``prefix`` — each indexed prefix the string starts with (one bisection over the node's sorted
  prefixes and their bounds, not a probe per prefix length);
* ``folded`` — the case-folded string (:func:`~assetguard.events.pattern_operators.fold`), for
  ``equals-ignore-case``.

Key spaces most rules use come first (``source``, ``detail-type``), then the most selective ones, so a walk
stops early on the rules an event cannot match. Matching reads the event's fields once into
slots, then follows only the edges its values hit: the work grows with the number of
*partially matching* rules, not with the number of rules. The frozen trie is compiled into one
small function per node (:mod:`assetguard.events.node_visitors`), which checks the tests the
trie did not prove (numeric ranges, anything-but lists and wildcards inline, other operators
with one call each); an event with objects inside arrays takes a general walk over the trie
that also checks that the fields match within one array element::

    machine = RuleMachine()
    machine.add("r1", compile_pattern({"source": ["aws.ec2"], "detail": {"n": [{"numeric": [">", 5]}]}}))
    machine.freeze()
    machine.match({"source": "aws.ec2", "detail": {"n": 7}})     # -> ["r1"]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assetguard.events.event_leaves import (
    Leaves,
    Path,
    PathTrie,
    SlotTrie,
    build_path_trie,
    build_slot_trie,
    clause_matches,
    extract_leaves,
    extract_slots,
)
from assetguard.events.native_nodes import NativeLowering, NativeWalk, use_native
from assetguard.events.node_visitors import (
    AFFIXES,
    CALL,
    EXACT,
    FOLDED,
    NOT_ONE_OF,
    PREFIX,
    RANGE,
    WILDCARD,
    Check,
    Visitor,
    VisitorCompiler,
)
from assetguard.events.pattern import Clause, CompiledPattern, FieldTest
from assetguard.events.pattern_operators import NotOneOf, NumericRange, ValueTest, Wildcard, fold, value_key

# Indexing every value of long OR lists multiplies trie entries; beyond this we stop descending.
MAX_FANOUT = 256
# Key spaces used by at least this share of clauses go first, most used first (all rules name a
# source, most EventBridge rules a detail-type).
COMMON_SHARE = 0.75

KeySpace = tuple[int, Path]  # (kind, path): kind is EXACT, PREFIX or FOLDED
# A residual test (Check): (slot of the path, kind, kind's argument, predicate over one leaf
# value, passes when absent). Kinds a visitor evaluates inline, without a Python call, for one
# scalar value: a numeric range (argument: low, low closed, high, high closed), anything-but
# strings (the excluded strings), a wildcard with one star (the texts before and after it: a
# startswith/endswith test) and any other wildcard (the regex's fullmatch).


@dataclass(slots=True)
class _Entry:
    name: Hashable
    clause: Clause
    checks: tuple[Check, ...]  # the tests the trie did not prove


@dataclass(slots=True)
class _Node:
    entries: list[_Entry] = field(default_factory=list)
    edges: dict[int, dict[Any, _Node]] = field(default_factory=dict)  # key-space id -> key -> child


class _PrefixSet:
    """The prefixes on one node's edges; ``matching(text)`` lists those ``text`` starts with.

    The prefixes a string starts with form a chain (each a prefix of the next), and the longest
    of them is an ancestor of the greatest prefix sorting at or before the string, so one
    bisection and a walk up ``parent`` links find them all.
    """

    __slots__ = ("ordered", "parent")

    def __init__(self, prefixes: Iterable[str]) -> None:
        self.ordered = sorted(prefixes)
        self.parent: list[int] = []
        for i, prefix in enumerate(self.ordered):
            up = i - 1
            while up >= 0 and not prefix.startswith(self.ordered[up]):
                up = self.parent[up]
            self.parent.append(up)

    def matching(self, text: str) -> list[str]:
        out: list[str] = []
        ordered, parent = self.ordered, self.parent
        i = bisect_right(ordered, text) - 1
        while i >= 0:
            prefix = ordered[i]
            if text.startswith(prefix):
                out.append(prefix)
            i = parent[i]
        return out


def _check(slot: int, test: FieldTest) -> Check:
    accepts = _predicate(test)
    if isinstance(accepts, NumericRange):
        bounds = (_int_if_whole(accepts.low), accepts.low_closed, _int_if_whole(accepts.high), accepts.high_closed)
        return (slot, RANGE, bounds, accepts, test.allow_absent)
    if isinstance(accepts, NotOneOf) and all(type(k) is str for k in accepts.keys):
        return (slot, NOT_ONE_OF, accepts.keys, accepts, test.allow_absent)
    if isinstance(accepts, Wildcard):
        if accepts.affixes is not None:
            return (slot, AFFIXES, accepts.affixes, accepts, test.allow_absent)
        return (slot, WILDCARD, accepts.fullmatch, accepts, test.allow_absent)
    return (slot, CALL, None, accepts, test.allow_absent)


def _int_if_whole(bound: float) -> float:
    """A whole-number bound as an int: comparing an int with an int is the interpreter's fast
    path, comparing it with a float is not, and Python compares ints and floats exactly, so
    every comparison gives the same answer."""
    if math.isfinite(bound) and bound == int(bound):
        return int(bound)
    return bound


def _predicate(test: FieldTest) -> ValueTest:
    """One callable for all of a field test's alternatives (exact values or'ed with operators)."""
    exact, tests = test.exact, test.tests
    if not exact and len(tests) == 1:
        return tests[0]
    if not tests:
        return lambda v: (v if type(v) is str else value_key(v)) in exact
    return test.accepts


class RuleMachine:
    """Index of named compiled patterns; ``match(event)`` returns the names that match."""

    def __init__(self, *, engine: str | None = None) -> None:
        """``engine``: ``"native"`` (the C walk), ``"python"`` (generated visitors) or ``None``
        for ``ASSETGUARD_EVENTS_MATCHER``, else native when built (see :mod:`.native_nodes`)."""
        self._native = use_native(engine)
        self._patterns: list[tuple[Hashable, CompiledPattern]] = []
        self._visit: Visitor = _visit_nothing
        self._walk: NativeWalk | None = None
        self.shape_count = 0
        self._root = _Node()
        self._paths: list[Path] = []
        self._slots: dict[Path, int] = {}
        self._trie: PathTrie = {}
        self._slot_trie: SlotTrie = {}
        self._spaces: dict[KeySpace, int] = {}
        self._space_list: list[KeySpace] = []
        self._frozen = False
        self.clause_count = 0

    def add(self, name: Hashable, pattern: CompiledPattern) -> None:
        self._patterns.append((name, pattern))
        self._frozen = False

    def __len__(self) -> int:
        return len(self._patterns)

    def freeze(self) -> RuleMachine:
        """Build the index (call after the ``add`` calls; ``match`` does it lazily too)."""
        uses: dict[KeySpace, int] = {}
        share: dict[KeySpace, float] = {}
        distinct: dict[KeySpace, set[Any]] = {}
        paths: set[Path] = set()
        clauses = 0
        for _name, pattern in self._patterns:
            for clause in pattern.clauses:
                clauses += 1
                for test in clause.tests:
                    paths.add(test.path)
                    space = _space_of(test)
                    if space is not None:
                        uses[space] = uses.get(space, 0) + 1
                        share[space] = share.get(space, 0) + len(_edge_keys(test))
                        distinct.setdefault(space, set()).update(_edge_keys(test))
        # Order of key spaces along every trie path: the ones most rules use first, most used
        # first, so they stay merged near the root and split the rules into small subtrees
        # (source, then detail-type: a node under a source then holds only the few rules without
        # a detail-type, and its dicts stay small); then the most selective first, estimated
        # as the share of the space's known keys a test accepts (an account before a severity),
        # so a walk stops as early as possible on the rules an event cannot match.
        def order(space: KeySpace) -> tuple[bool, float, KeySpace]:
            if uses[space] >= COMMON_SHARE * clauses:
                return (False, -uses[space], space)
            return (True, share[space] / uses[space] / len(distinct[space]), space)

        self._space_list = sorted(uses, key=order)
        self._spaces = {space: i for i, space in enumerate(self._space_list)}
        self._paths = sorted(paths)
        self._slots = {path: i for i, path in enumerate(self._paths)}
        self._trie = build_path_trie(self._paths)
        self._slot_trie = build_slot_trie(self._paths)
        root = _Node()
        self.clause_count = 0
        for name, pattern in self._patterns:
            for clause in pattern.clauses:
                self._insert(root, name, clause)
        self._root = root
        spaces = [(kind, self._slots[path]) for kind, path in self._space_list]
        if self._native:
            self._walk = NativeLowering(spaces, _PrefixSet).compile(root)
            self.shape_count = 0
        else:
            compiler = VisitorCompiler(spaces, _PrefixSet)
            self._visit, self._walk = compiler.compile(root), None
            self.shape_count = compiler.shapes
        self._frozen = True
        return self

    def _insert(self, root: _Node, name: Hashable, clause: Clause) -> None:
        self.clause_count += 1
        indexed = sorted(((self._spaces[s], t) for t in clause.tests if (s := _space_of(t)) is not None),
                         key=lambda pair: pair[0])
        nodes = [root]
        used: list[FieldTest] = []
        for space_id, test in indexed:
            keys = _edge_keys(test)
            if len(nodes) * len(keys) > MAX_FANOUT:
                continue
            nxt: list[_Node] = []
            for node in nodes:
                by_key = node.edges.setdefault(space_id, {})
                for key in keys:
                    child = by_key.get(key)
                    if child is None:
                        child = by_key[key] = _Node()
                    nxt.append(child)
            nodes = nxt
            used.append(test)
        checks = tuple(_check(self._slots[t.path], t) for t in clause.tests
                       if not any(t is u for u in used))
        entry = _Entry(name, clause, checks)
        for node in nodes:
            node.entries.append(entry)

    def match(self, event: Mapping[str, Any]) -> list[Hashable]:
        """Names of the patterns matching ``event``, each once."""
        if not self._frozen:
            self.freeze()
        values = extract_slots(event, self._slot_trie, len(self._paths))
        if values is None:
            return self._match_with_trails(extract_leaves(event, self._trie))
        if self._walk is not None:
            found: list[Hashable] = []
            self._walk(values, found)
            return found if len(found) < 2 else list(dict.fromkeys(found))
        matched: dict[Hashable, None] = {}
        self._visit(values, matched)
        return list(matched)

    def _match_with_trails(self, leaves: Leaves) -> list[Hashable]:
        """The general walk, on the unfrozen trie: values from inside arrays of objects must
        agree on the element, which :func:`clause_matches` checks for every clause reached."""
        matched: dict[Hashable, None] = {}
        stack = [self._root]
        while stack:
            node = stack.pop()
            for entry in node.entries:
                if entry.name not in matched and clause_matches(entry.clause, leaves):
                    matched[entry.name] = None
            for space_id, by_key in node.edges.items():
                kind, path = self._space_list[space_id]
                for value, _trail in leaves.get(path, ()):
                    if kind == EXACT:
                        child = by_key.get(value_key(value))
                        if child is not None:
                            stack.append(child)
                    elif isinstance(value, str):
                        if kind == FOLDED:
                            child = by_key.get(fold(value))
                            if child is not None:
                                stack.append(child)
                        else:
                            stack.extend(c for prefix, c in by_key.items() if value.startswith(prefix))
        return list(matched)


def _space_of(test: FieldTest) -> KeySpace | None:
    if test.exact_only:
        return (EXACT, test.path)
    if test.prefix_only:
        return (PREFIX, test.path)
    if test.folded_only:
        return (FOLDED, test.path)
    return None


def _edge_keys(test: FieldTest) -> frozenset[Any]:
    if test.exact_only:
        return test.exact
    if test.prefix_only:
        return test.prefixes
    return test.folded


def _visit_nothing(_values: list[Any], _matched: dict[Hashable, None]) -> None:
    return None
