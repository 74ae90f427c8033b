"""Reading an event's leaf values at the paths compiled patterns use.

Two readers: :func:`extract_leaves` keeps, with every value, the *trail* of array elements it
came from (so fields inside objects in arrays can be required to match within one element, see
:func:`clause_matches`); :func:`extract_slots` is the fast reader for the common event that has
no objects inside arrays, one value (or array of leaves) per path, by position::

    trie = build_slot_trie([("detail", "state"), ("source",)])
    extract_slots({"source": "aws.ec2", "detail": {"state": "running"}}, trie, 2)
    # -> ["running", "aws.ec2"]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assetguard.events.pattern import Clause

Path = tuple[str, ...]
Trail = tuple[tuple[int, int], ...]


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


def _emit_list(values: list[Any], sub: PathTrie, terminal: Path | None, trail: Trail, out: Leaves,
               scalar_trail: Trail | None = None) -> None:
    """``scalar_trail``: the trail of the array's scalars, the one where the first of the nested
    arrays began. Nested arrays of scalars are one flat list of values ([["x"], ["y"]] holds "x"
    and "y" for every test); only the objects inside them are elements fields must share."""
    if scalar_trail is None:
        scalar_trail = trail
    for index, item in enumerate(values):
        if isinstance(item, dict):
            if sub:
                inner = (*trail, (id(values), index))
                out[TRAILS] = []
                _collect(item, sub, inner, out)
        elif isinstance(item, list):
            inner = (*trail, (id(values), index))
            out[TRAILS] = []
            _emit_list(item, sub, terminal, inner, out, scalar_trail)
        elif terminal is not None:
            out.setdefault(terminal, []).append((item, scalar_trail))


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
    """Full evaluation of one clause, including same-array-element consistency.

    ``exists: false`` on a path whose leaves sit inside arrays of objects is judged in the array
    elements the clause's other fields matched in: it passes when no leaf at the path is in (or
    outside of) those elements, as event-ruler checks absence against its array membership.
    """
    choices: list[list[Trail]] = []
    absences: list[tuple[list[Trail], list[Trail]]] = []  # (accepted trails, all trails)
    for test in clause.tests:
        values = leaves.get(test.path)
        if not values:
            if test.allow_absent:
                continue
            return False
        trails = [trail for value, trail in values if test.accepts(value)]
        if test.allow_absent and not any(not trail for trail in trails):
            every = [trail for _value, trail in values]
            if all(every):  # every leaf is inside an array element: absent from some choices
                absences.append((trails, every))
                continue
        if not trails:
            return False
        if any(trails):
            choices.append(trails)
    if len(choices) < 2 and not absences:
        return True
    return _choose(choices, 0, (), absences)


def _absent_in(acc: Trail, absences: list[tuple[list[Trail], list[Trail]]]) -> bool:
    for accepted, every in absences:
        if any(_consistent(acc, trail) for trail in accepted):
            continue
        if any(_consistent(acc, trail) for trail in every):
            return False
    return True


def _choose(choices: list[list[Trail]], index: int, acc: Trail,
            absences: list[tuple[list[Trail], list[Trail]]]) -> bool:
    if index == len(choices):
        return _absent_in(acc, absences)
    tried: set[Trail] = set()
    for trail in choices[index]:
        if trail in tried:
            continue
        tried.add(trail)
        if _consistent(acc, trail) and _choose(choices, index + 1, (*acc, *trail), absences):
            return True
    return False
