"""Many compiled patterns in one index, so matching does not scan every rule.

Like aws/event-ruler's state machine, clauses are stored in a trie keyed by their exact-value
tests, taken in one global path order: from the root, an edge is ``(path, value)``. Matching an
event walks only the edges whose ``(path, value)`` occur in the event, so the work grows with
the number of *partially matching* rules, not with the number of rules. The clauses reached
are then checked for their remaining tests (prefix, numeric, anything-but ...) and, when the
event has objects inside arrays, for same-element consistency::

    machine = RuleMachine()
    machine.add("r1", compile_pattern({"source": ["aws.ec2"], "detail": {"n": [{"numeric": [">", 5]}]}}))
    machine.freeze()
    machine.match({"source": "aws.ec2", "detail": {"n": 7}})     # -> ["r1"]
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assetguard.events.pattern import (
    Clause,
    CompiledPattern,
    FieldTest,
    Leaves,
    Path,
    PathTrie,
    build_path_trie,
    clause_matches,
    extract_leaves,
    has_trails,
    value_key,
)

# Indexing every value of long OR lists multiplies trie entries; beyond this we stop descending.
MAX_FANOUT = 256


@dataclass(slots=True)
class _Entry:
    name: Hashable
    clause: Clause
    residual: tuple[FieldTest, ...]


@dataclass(slots=True)
class _Node:
    entries: list[_Entry] = field(default_factory=list)
    edges: dict[Path, dict[Any, _Node]] = field(default_factory=dict)
    # Prefix edges: path -> prefix -> child, and the distinct prefix lengths to probe per value.
    prefix_edges: dict[Path, dict[str, _Node]] = field(default_factory=dict)
    prefix_lengths: dict[Path, list[int]] = field(default_factory=dict)


class RuleMachine:
    """Index of named compiled patterns; ``match(event)`` returns the names that match."""

    def __init__(self) -> None:
        self._root = _Node()
        self._paths: set[Path] = set()
        self._trie: PathTrie = {}
        self._order: dict[Path, int] = {}
        self._pending: list[tuple[Hashable, CompiledPattern]] = []
        self._names: list[Hashable] = []
        self.clause_count = 0

    def add(self, name: Hashable, pattern: CompiledPattern) -> None:
        self._pending.append((name, pattern))
        self._names.append(name)

    def __len__(self) -> int:
        return len(self._names)

    def freeze(self) -> RuleMachine:
        """Build the index (call once after all ``add`` calls; ``match`` does it lazily too)."""
        frequency: dict[Path, int] = {}
        for _name, pattern in self._pending:
            for clause in pattern.clauses:
                for test in clause.tests:
                    self._paths.add(test.path)
                    if test.exact_only:
                        frequency[test.path] = frequency.get(test.path, 0) + 1
        # Rarely-used paths first would fan out less, but a fixed lexical order keeps shared
        # prefixes (source, detail-type ...) merged; order by descending use, then by name.
        ordered = sorted(frequency, key=lambda p: (-frequency[p], p))
        self._order = {p: i for i, p in enumerate(ordered)}
        for name, pattern in self._pending:
            for clause in pattern.clauses:
                self._insert(name, clause)
        self._pending.clear()
        self._trie = build_path_trie(self._paths)
        return self

    def _insert(self, name: Hashable, clause: Clause) -> None:
        self.clause_count += 1
        indexed = sorted((t for t in clause.tests if t.exact_only), key=lambda t: self._order[t.path])
        nodes = [self._root]
        used: list[FieldTest] = []
        for test in indexed:
            if len(nodes) * len(test.exact) > MAX_FANOUT:
                break
            nxt: list[_Node] = []
            for node in nodes:
                by_value = node.edges.setdefault(test.path, {})
                for key in test.exact:
                    child = by_value.get(key)
                    if child is None:
                        child = by_value[key] = _Node()
                    nxt.append(child)
            nodes = nxt
            used.append(test)
        # Then one plain-prefix test, if any (resource ARNs, regions ...), as a prefix edge.
        prefix_test = next((t for t in clause.tests if t.prefix_only), None)
        if prefix_test is not None and len(nodes) * len(prefix_test.prefixes) <= MAX_FANOUT:
            nxt = []
            for node in nodes:
                by_prefix = node.prefix_edges.setdefault(prefix_test.path, {})
                for prefix in prefix_test.prefixes:
                    child = by_prefix.get(prefix)
                    if child is None:
                        child = by_prefix[prefix] = _Node()
                    nxt.append(child)
                node.prefix_lengths[prefix_test.path] = sorted({len(p) for p in by_prefix})
            nodes = nxt
            used.append(prefix_test)
        residual = tuple(t for t in clause.tests if not any(t is u for u in used))
        entry = _Entry(name, clause, residual)
        for node in nodes:
            node.entries.append(entry)

    def match(self, event: Mapping[str, Any]) -> list[Hashable]:
        """Names of the patterns matching ``event``, each once, in insertion order of first match."""
        if self._pending:
            self.freeze()
        leaves = extract_leaves(event, self._trie)
        trails = has_trails(leaves)
        matched: dict[Hashable, None] = {}
        stack = [self._root]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            for entry in node.entries:
                if entry.name in matched:
                    continue
                if (clause_matches(entry.clause, leaves) if trails
                        else (not entry.residual or _residual_ok(entry.residual, leaves))):
                    matched[entry.name] = None
            for path, by_value in node.edges.items():
                values = leaves.get(path)
                if values is None:
                    continue
                for value, _trail in values:
                    child = by_value.get(value if type(value) is str else value_key(value))
                    if child is not None:
                        push(child)
            if node.prefix_edges:
                for path, by_prefix in node.prefix_edges.items():
                    values = leaves.get(path)
                    if values is None:
                        continue
                    lengths = node.prefix_lengths[path]
                    for value, _trail in values:
                        if type(value) is str:
                            size = len(value)
                            for length in lengths:
                                if length > size:
                                    break
                                child = by_prefix.get(value[:length])
                                if child is not None:
                                    push(child)
        return list(matched)


def _residual_ok(tests: tuple[FieldTest, ...], leaves: Leaves) -> bool:
    for test in tests:
        values = leaves.get(test.path)
        if not values:
            if test.allow_absent:
                continue
            return False
        for value, _trail in values:
            if test.accepts(value):
                break
        else:
            return False
    return True
