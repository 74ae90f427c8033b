"""The frozen rule index lowered for the native walk (``assetguard.events._native``).

The C extension is optional: it is built when the package is installed on a machine with a C
compiler and Python's headers, and :data:`AVAILABLE` says whether it was. Without it,
:class:`~assetguard.events.machine.RuleMachine` runs the generated Python visitors of
:mod:`assetguard.events.node_visitors`; both give the same answers (the property tests run
both). ``ASSETGUARD_EVENTS_MATCHER=python`` picks the Python visitors even when the extension
is there.

A node becomes ``Node(names, entries, edges)``:

* ``names``: the rules the node proves with nothing left to test;
* ``entries``: ``(name, checks)`` for the rules with residual tests, each check
  ``(slot, kind, a, b, low_closed, high_closed, accepts, allow_absent)``;
* ``edges``: ``(kind, slot, dict of key -> child Node, None)``, or for a prefix edge
  ``(PREFIX, slot, sorted points, reached)`` where ``reached[k]`` is ``None`` or the tuple of
  child Nodes a string ``s`` with ``bisect_right(points, s) == k`` reaches.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from functools import partial
from types import ModuleType
from typing import Any

from assetguard.core.errors import ConfigError
from assetguard.events.event_leaves import MISSING
from assetguard.events.node_visitors import (
    AFFIXES,
    EXACT,
    FOLDED,
    NOT_ONE_OF,
    PREFIX,
    RANGE,
    WILDCARD,
    Check,
    Node,
    PrefixIndex,
    prefix_stretches,
)
from assetguard.events.pattern_operators import fold, value_key

_native: ModuleType | None
try:
    from assetguard.events import _native as _built
except ImportError:  # built without a C compiler: the Python visitors are used
    _native = None
else:
    _built.configure(MISSING, value_key, fold)
    _native = _built

AVAILABLE = _native is not None
NativeWalk = Callable[[list[Any], list[Hashable]], None]
TYPED = 3  # an exact edge with non-string keys, looked up by value_key


def use_native(engine: str | None = None) -> bool:
    """Whether a machine should walk natively: ``engine`` (``"native"`` or ``"python"``), else
    ``ASSETGUARD_EVENTS_MATCHER``, else native when the extension is built."""
    choice = engine or os.environ.get("ASSETGUARD_EVENTS_MATCHER", "").strip().lower() or None
    if choice is None:
        return AVAILABLE
    if choice not in ("native", "python"):
        raise ConfigError(f"ASSETGUARD_EVENTS_MATCHER: expected 'native' or 'python', got {choice!r}")
    if choice == "native" and not AVAILABLE:
        raise ConfigError("the native rule-index walk was asked for but assetguard.events._native is not built "
                           "(install a C compiler and Python's headers, then reinstall the package)")
    return choice == "native"


class NativeLowering:
    """Lowers trie nodes bottom-up; ``spaces`` maps a key-space id to ``(kind, slot)``."""

    def __init__(self, spaces: list[tuple[int, int]], prefix_index: Callable[[list[str]], PrefixIndex]) -> None:
        self._spaces = spaces
        self._prefix_index = prefix_index

    def compile(self, root: Node) -> NativeWalk:
        """``walk(values, found)``: appends the names matching the slot values to ``found``
        (a rule reached on two paths is appended twice)."""
        assert _native is not None
        return partial(_native.visit, self.lower(root))

    def lower(self, node: Node) -> Any:
        assert _native is not None
        names = tuple(dict.fromkeys(e.name for e in node.entries if not e.checks))
        entries = tuple((e.name, tuple(_check_spec(c) for c in e.checks)) for e in node.entries if e.checks)
        edges: list[tuple[int, int, Any, Any]] = []
        for space_id in sorted(node.edges):
            kind, slot = self._spaces[space_id]
            children = {key: self.lower(child) for key, child in node.edges[space_id].items()}
            if kind == PREFIX:
                points, chains = prefix_stretches(children, self._prefix_index)
                edges.append((PREFIX, slot, points, tuple(tuple(chain) or None for chain in chains)))
            elif kind == EXACT and not all(type(key) is str for key in children):
                edges.append((TYPED, slot, children, None))
            else:
                edges.append((EXACT if kind == EXACT else FOLDED, slot, children, None))
        return _native.Node(names, entries, tuple(edges))


def _check_spec(check: Check) -> tuple[int, int, Any, Any, bool, bool, Any, bool]:
    slot, kind, arg, accepts, allow_absent = check
    if kind == RANGE:
        low, low_closed, high, high_closed = arg
        return (slot, RANGE, low, high, low_closed, high_closed, accepts, allow_absent)
    if kind == AFFIXES:
        head, tail = arg
        return (slot, AFFIXES, head or None, tail or None, False, False, accepts, allow_absent)
    if kind in (NOT_ONE_OF, WILDCARD):
        return (slot, kind, arg, None, False, False, accepts, allow_absent)
    return (slot, kind, None, None, False, False, accepts, allow_absent)
