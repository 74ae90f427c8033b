"""A node with several string-keyed exact edges looks them up in one loop over a table."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from assetguard.events.machine import RuleMachine
from assetguard.events.node_visitors import MIN_EXACT_TABLE
from assetguard.events.pattern import compile_pattern

pytestmark = pytest.mark.usefixtures("engine")  # each test runs on both walks (conftest)


class Text(str):
    """A str subclass: looked up as it is, like a plain string."""


# Under source "s" the rules hang off four exact key spaces (a, b, c, d): one node, one table.
# Children are single names, name tuples and visitors (rules going on to a further test).
PATTERNS: list[dict[str, Any]] = [
    {"source": ["s"], "a": ["x"]},
    {"source": ["s"], "a": ["y", "z"]},
    {"source": ["s"], "b": ["x"]},
    {"source": ["s"], "b": ["x"], "n": [{"numeric": [">", 1]}]},
    {"source": ["s"], "c": ["x", "w"]},
    {"source": ["s"], "c": ["w"], "e": ["q"]},
    {"source": ["s"], "d": ["y"]},
    {"source": ["s"], "d": ["y"]},
]
VALUES: list[Any] = ["x", "y", "w", Text("x"), ["zz", "y"], [Text("w")], [], 1, None, True, 1.5, "missing"]


def test_table_edges_match_like_the_patterns() -> None:
    assert len({next(iter(set(p) - {"source", "n", "e"})) for p in PATTERNS}) >= MIN_EXACT_TABLE
    machine = RuleMachine()
    compiled = [compile_pattern(p) for p in PATTERNS]
    for i, pattern in enumerate(compiled):
        machine.add(i, pattern)
    machine.freeze()
    for a, b, c, d in itertools.product(VALUES, repeat=4):
        event: dict[str, Any] = {"source": "s", "n": 2, "e": "q"}
        for key, value in zip("abcd", (a, b, c, d), strict=True):
            if value != "missing":
                event[key] = value
        got = machine.match(event)
        assert len(got) == len(set(got)), event
        assert set(got) == {i for i, p in enumerate(compiled) if p.matches(event)}, event
