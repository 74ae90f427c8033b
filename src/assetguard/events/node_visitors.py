"""Rule-index nodes compiled into small Python functions, one code object per node *shape*.

A frozen trie node of :class:`~assetguard.events.machine.RuleMachine` becomes a *visitor*,
``visit(values, matched)``: it adds the names the node proves, evaluates its residual checks
inline (a numeric range is two comparisons, an anything-but list one ``in``, a wildcard with one
star a startswith/endswith test, another wildcard one regex call), and for each key space looks
the event's value up and reaches the child: a visitor is called, a node that only proves names
is a tuple added in place. An interpreted walk spends most of its time unpacking node tuples
and looping over empty parts; a visitor runs only the statements its node needs (at 10,000
rules, 315 bytecodes per event instead of 556).

Nodes with the same shape (the same slots, kinds of edges and checks) share one generated code
object; their dicts, bounds and names are parameter defaults, never source text, so nothing
from a rule reaches ``exec``. For ``{"source": ["a"], "n": [{"numeric": [">", 5]}]}`` the node
under ``source = "a"`` compiles to::

    def visit(v, m, c0=c0, c1=c1, c2=c2, c3=c3):
        if ((c0 < x <= c1) if (t := type(x := v[0])) is int or t is float else slow(x, c2, False)):
            m[c3] = None
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

from assetguard.events.event_leaves import MISSING
from assetguard.events.pattern_operators import ValueTest, fold, value_key

T = TypeVar("T")
Visitor = Callable[[list[Any], dict[Hashable, None]], None]
# What an edge leads to: a visitor, or (for a node that only proves names) the tuple of names,
# added without a call.
Child = Visitor | tuple[Hashable, ...]
# A residual check, as machine.py builds it: (slot, kind, argument, predicate, passes when absent).
Check = tuple[int, int, Any, ValueTest, bool]
CALL, RANGE, NOT_ONE_OF, WILDCARD, AFFIXES = 0, 1, 2, 3, 4
EXACT, PREFIX, FOLDED = 0, 1, 2
# Past this many checked entries a node loops over them as data: generated code stays small and
# the number of distinct shapes stays bounded.
MAX_INLINE_ENTRIES = 8
MAX_INLINE_NAMES = 4
# From this many string-keyed exact edges on a node they are looked up in one loop over a table
# (one short code object shared by all such nodes) instead of a block of code each.
MIN_EXACT_TABLE = 3


class PrefixIndex(Protocol):
    ordered: list[str]

    def matching(self, text: str) -> list[str]: ...  # the prefixes ``text`` starts with, longest first


class Node(Protocol):
    entries: list[Any]  # each has .name and .checks
    edges: dict[int, dict[Any, Any]]


def slow(value: Any, accepts: ValueTest, allow_absent: bool) -> bool:
    """A check on a value the inline form does not cover: absent, an array, another type."""
    if value is MISSING:
        return allow_absent
    if type(value) is list:
        for item in value:
            if accepts(item):
                return True
        return False
    return accepts(value)


def check_entries(entries: tuple[tuple[Hashable, tuple[Check, ...]], ...], values: list[Any],
                  matched: dict[Hashable, None]) -> None:
    """The entries of a node with many checked rules, as data."""
    for name, checks in entries:
        for slot, _kind, _arg, accepts, allow_absent in checks:
            if not slow(values[slot], accepts, allow_absent):
                break
        else:
            matched[name] = None


def reach(child: Child, values: list[Any], matched: dict[Hashable, None]) -> None:
    if type(child) is tuple:
        for name in child:
            matched[name] = None
    else:
        child(values, matched)  # type: ignore[operator]


def exact_rest(by_key: dict[Any, Child], value: Any, values: list[Any], matched: dict[Hashable, None]) -> None:
    """String-keyed exact edges for a value that is not a plain string (an array, a subclass)."""
    for item in value if type(value) is list else (value,):
        try:
            child = by_key.get(item)
        except TypeError:  # an unhashable leaf never equals a key
            continue
        if child is not None:
            reach(child, values, matched)


def typed(by_key: dict[Any, Child], value: Any, values: list[Any], matched: dict[Hashable, None]) -> None:
    """Exact edges with non-string keys (numbers, booleans, null): looked up by typed key."""
    if value is MISSING:
        return
    for item in value if type(value) is list else (value,):
        child = by_key.get(value_key(item))
        if child is not None:
            reach(child, values, matched)


def _strings(value: Any) -> list[str]:
    if type(value) is list:
        return [v for v in value if isinstance(v, str)]
    return [value] if isinstance(value, str) else []


def folded_rest(by_key: dict[str, Child], value: Any, values: list[Any], matched: dict[Hashable, None]) -> None:
    for item in _strings(value):
        child = by_key.get(fold(item))
        if child is not None:
            reach(child, values, matched)


def prefix_bound(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` (``None``: no string is).

    Strings starting with ``"ab"`` are those from ``"ab"`` up to, not including, ``"ac"``; a
    trailing U+10FFFF cannot be raised, so ``"a\U0010ffff"`` is bounded by ``"b"`` like ``"a"``.
    """
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return None
    return stem[:-1] + chr(ord(stem[-1]) + 1)


def prefix_stretches(children: dict[str, T], prefix_index: Callable[[list[str]], PrefixIndex],
                     ) -> tuple[list[str], list[list[T]]]:
    """A prefix edge as sorted points (its prefixes and their bounds) and, for each stretch of
    strings ``s`` with ``bisect_right(points, s) == k``, the children of the prefixes they all
    start with (``chains[k]``, longest prefix first; empty below the first point)."""
    index = prefix_index(list(children))
    points = sorted(set(index.ordered) | {b for p in index.ordered if (b := prefix_bound(p)) is not None})
    chains: list[list[T]] = [[]]
    for point in points:  # the stretch from this point up to the next one
        chains.append([children[prefix] for prefix in index.matching(point)])
    return points, chains


def prefix_rest(points: list[str], reached: list[Child | None], value: Any, values: list[Any],
                matched: dict[Hashable, None]) -> None:
    for item in _strings(value):
        child = reached[bisect_right(points, item)]
        if child is not None:
            reach(child, values, matched)


_HELPERS: dict[str, Any] = {"slow": slow, "check_entries": check_entries, "exact_rest": exact_rest,
                            "typed": typed, "folded_rest": folded_rest, "fold": fold, "prefix_rest": prefix_rest, "reach": reach,
                            "bisect_right": bisect_right, "MISSING": MISSING}


class VisitorCompiler:
    """Turns trie nodes into visitors, generating one factory per distinct shape.

    ``spaces`` maps a key-space id to ``(kind, slot)``; ``prefix_index(keys)`` indexes the
    prefixes of a prefix edge (``machine._PrefixSet``: sorted, and which of them a string starts with).
    """

    def __init__(self, spaces: list[tuple[int, int]], prefix_index: Callable[[list[str]], PrefixIndex]) -> None:
        self._spaces = spaces
        self._prefix_index = prefix_index
        self._factories: dict[str, Callable[..., Visitor]] = {}

    @property
    def shapes(self) -> int:
        return len(self._factories)

    def compile(self, node: Node) -> Visitor:
        """The visitor of a root node."""
        child = self._child(node)
        if type(child) is tuple:
            return self._factory("for n in c0:\n    m[n] = None", 1)(child)
        return child  # type: ignore[return-value]

    def _child(self, node: Node) -> Child:
        if not node.edges and not any(e.checks for e in node.entries):
            return tuple(dict.fromkeys(e.name for e in node.entries))
        consts: list[Any] = []

        numbers: dict[int, str] = {}

        def const(value: Any) -> str:  # one parameter per object (a dict used twice is one)
            number = numbers.get(id(value))
            if number is None:
                number = numbers[id(value)] = f"c{len(consts)}"
                consts.append(value)
            return number

        lines: list[str] = []
        names = tuple(dict.fromkeys(e.name for e in node.entries if not e.checks))
        if len(names) <= MAX_INLINE_NAMES:
            lines.extend(f"m[{const(name)}] = None" for name in names)
        else:
            lines.append(f"for n in {const(names)}:")
            lines.append("    m[n] = None")
        checked = tuple((e.name, e.checks) for e in node.entries if e.checks)
        if len(checked) > MAX_INLINE_ENTRIES:
            lines.append(f"check_entries({const(checked)}, v, m)")
        else:
            for name, checks in checked:
                lines.append(f"if {' and '.join(_condition(check, const) for check in checks)}:")
                lines.append(f"    m[{const(name)}] = None")
        exact: list[tuple[int, dict[Any, Child]]] = []  # string-keyed exact edges
        for space_id in sorted(node.edges):
            kind, slot = self._spaces[space_id]
            children = {key: self._child(child) for key, child in node.edges[space_id].items()}
            if kind == EXACT and all(type(key) is str for key in children):
                exact.append((slot, children))
            else:
                lines.extend(self._edge_lines(kind, slot, children, const))
        if len(exact) >= MIN_EXACT_TABLE:
            lines.extend(_exact_lines(exact, const))
        else:
            for slot, children in exact:
                lines.extend(self._edge_lines(EXACT, slot, children, const))
        return self._factory("\n".join(lines) or "pass", len(consts))(*consts)

    def _edge_lines(self, kind: int, slot: int, children: dict[Any, Child],
                    const: Callable[[Any], str]) -> list[str]:
        if kind == EXACT and not all(type(key) is str for key in children):
            return [f"typed({const(children)}, v[{slot}], v, m)"]
        if kind == EXACT and len(children) == 1:
            # One key: an equality test (no dict to touch), and the child is known here.
            ((key, child),) = children.items()
            lines = [f"x = v[{slot}]", f"if x == {const(key)} or type(x) is list and {const(key)} in x:"]
            return lines + ["    " + line for line in _reach_lines(child, const)]
        if kind == EXACT:
            by_key, hit = self._lookup(children, const)
            return [f"x = v[{slot}]", "if type(x) is str:", f"    c = {by_key}.get(x{hit[0]})", *hit[1:],
                    "elif x is not MISSING:", f"    exact_rest({const(children)}, x, v, m)"]
        if kind == FOLDED:
            by_key, hit = self._lookup(children, const)
            return [f"x = v[{slot}]", "if type(x) is str:", f"    c = {by_key}.get((x.lower() if x.isascii() else fold(x)){hit[0]})", *hit[1:],
                    "elif x is not MISSING:", f"    folded_rest({const(children)}, x, v, m)"]
        # A string starts with a prefix when it sorts from the prefix up to the prefix's bound.
        # Between two neighbouring prefixes or bounds the prefixes a string starts with are the
        # same, so one bisection over them finds the children to reach.
        points, reached = self._prefix_segments(children)
        by_point = const(points)
        at = const(reached)
        return [f"x = v[{slot}]", "if type(x) is str:", f"    c = {at}[bisect_right({by_point}, x)]", *_HIT,
                "elif x is not MISSING:", f"    prefix_rest({by_point}, {at}, x, v, m)"]

    def _prefix_segments(self, children: dict[str, Child]) -> tuple[list[str], list[Child | None]]:
        """The sorted prefixes and bounds of a prefix edge, and for each stretch between them
        (``reached[k]`` for strings with ``bisect_right(points, s) == k``) what to reach."""
        points, chains = prefix_stretches(children, self._prefix_index)
        return points, [self._together(chain) for chain in chains]

    def _together(self, chain: list[Child]) -> Child | None:
        """One child reaching what all of ``chain`` reach."""
        if not chain:
            return None
        if len(chain) == 1:
            return chain[0]
        names = tuple(dict.fromkeys(n for c in chain if type(c) is tuple for n in c))
        visitors = tuple(c for c in chain if type(c) is not tuple)
        if not visitors:
            return names
        body = "for n in c0:\n    m[n] = None\nfor f in c1:\n    f(v, m)" if names else "for f in c0:\n    f(v, m)"
        return self._factory(body, 2 if names else 1)(*((names, visitors) if names else (visitors,)))

    @staticmethod
    def _lookup(children: dict[Any, Child], const: Callable[[Any], str]) -> tuple[str, list[str]]:
        """The dict a string lookup reads and the code run on its result ``c``: when every
        child is one name the dict holds the names themselves (added without a loop), when
        every child is a visitor it is called without a type test."""
        if all(type(child) is tuple and len(child) == 1 for child in children.values()):
            names = {key: child[0] for key, child in children.items()}  # type: ignore[index]
            return const(names), [", MISSING", "    if c is not MISSING:", "        m[c] = None"]
        if not any(type(child) is tuple for child in children.values()):
            return const(children), ["", "    if c is not None:", "        c(v, m)"]
        return const(children), ["", *_HIT]

    def _factory(self, body: str, arity: int) -> Callable[..., Visitor]:
        factory = self._factories.get(body)
        if factory is None:
            params = ", ".join(f"c{i}" for i in range(arity))
            # Constants become parameter defaults: read as fast locals, no closure cells to chase.
            defaults = "".join(f", c{i}=c{i}" for i in range(arity))
            indented = "\n".join("        " + line for line in body.splitlines())
            source = f"def factory({params}):\n    def visit(v, m{defaults}):\n{indented}\n    return visit\n"
            namespace = dict(_HELPERS)
            exec(compile(source, "<rule-machine visitor>", "exec"), namespace)  # only generated names and slots
            factory = self._factories[body] = namespace["factory"]
        return factory


# A dict hit in generated code: a names tuple is added in place, a visitor is called.
_HIT = ("    if c is not None:", "        if type(c) is tuple:", "            for n in c:", "                m[n] = None",
        "        else:", "            c(v, m)")


def _exact_lines(edges: list[tuple[int, dict[Any, Child]]], const: Callable[[Any], str]) -> list[str]:
    """A node's string-keyed exact edges as one loop over a table of their slots and dicts: the
    code is the same for every node, so nodes differing only in which of these edges they have
    share one short code object, and the node keeps one parameter for them. The value is looked
    up as it is (a number, null or :data:`MISSING` finds no string key); only an array, which
    cannot be hashed, takes its items one by one."""
    table = const(tuple(edges))
    return [f"for s, d in {table}:", "    try:", "        c = d.get(v[s])", "    except TypeError:",
            "        exact_rest(d, v[s], v, m)", "        continue", *_HIT]


def _reach_lines(child: Child, const: Callable[[Any], str]) -> list[str]:
    """Code that reaches a child known when compiling."""
    if type(child) is not tuple:
        return [f"{const(child)}(v, m)"]
    if len(child) <= MAX_INLINE_NAMES:
        return [f"m[{const(name)}] = None" for name in child] or ["pass"]
    return [f"for n in {const(child)}:", "    m[n] = None"]


def _condition(check: Check, const: Callable[[Any], str]) -> str:
    slot, kind, arg, accepts, allow_absent = check
    if kind == RANGE:
        low, low_closed, high, high_closed = arg
        # A closed infinite bound holds for every number but NaN: no comparison for it (unless
        # both are, then x == x keeps NaN out).
        compared = "x"
        if not (low == -math.inf and low_closed):
            compared = f"{const(low)} {'<=' if low_closed else '<'} {compared}"
        if not (high == math.inf and high_closed):
            compared = f"{compared} {'<=' if high_closed else '<'} {const(high)}"
        if compared == "x":
            compared = "x == x"
        # NaN fails every comparison; booleans, strings and arrays take the general path.
        return (f"(({compared}) if (t := type(x := v[{slot}])) is int "
                f"or t is float else slow(x, {const(accepts)}, {allow_absent}))")
    if kind == WILDCARD:
        return (f"(({const(arg)}(x) is not None) if type(x := v[{slot}]) is str "
                f"else slow(x, {const(accepts)}, {allow_absent}))")
    if kind == AFFIXES:  # a one-star wildcard: (text before the star, text after it)
        head, tail = arg
        tests = []
        if head and tail:  # the two may not overlap: "ab*b" does not match "ab"
            tests.append(f"len(x) >= {const(len(head) + len(tail))}")
        if head:  # a string starts with head when it sorts from head up to head's bound
            bound = prefix_bound(head)
            tests.append(f"{const(head)} <= x" if bound is None else f"{const(head)} <= x < {const(bound)}")
        if tail:
            tests.append(f"x.endswith({const(tail)})")
        return (f"(({' and '.join(tests) or 'True'}) if type(x := v[{slot}]) is str "
                f"else slow(x, {const(accepts)}, {allow_absent}))")
    if kind == NOT_ONE_OF:
        return (f"((x not in {const(arg)}) if type(x := v[{slot}]) is str "
                f"else slow(x, {const(accepts)}, {allow_absent}))")
    return f"slow(v[{slot}], {const(accepts)}, {allow_absent})"
