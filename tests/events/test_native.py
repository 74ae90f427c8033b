"""The native walk's own guards: malformed nodes are refused when built, not crashed on when
walked, and errors raised by a rule's predicate reach the caller."""

from __future__ import annotations

import os
from typing import Any

import pytest

from assetguard.events import native_nodes
from assetguard.events.event_leaves import MISSING
from assetguard.events.node_visitors import CALL, RANGE

if not native_nodes.AVAILABLE:
    if os.environ.get("ASSETGUARD_TEST_REQUIRE_NATIVE") == "1":
        raise RuntimeError("ASSETGUARD_TEST_REQUIRE_NATIVE=1 but assetguard.events._native is not built")
    pytest.skip("assetguard.events._native is not built (installed without a C compiler)", allow_module_level=True)

from assetguard.events import _native


def check(slot: int, kind: int, accepts: Any, a: Any = None, b: Any = None) -> tuple[Any, ...]:
    return (slot, kind, a, b, True, False, accepts, False)


def test_malformed_nodes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        _native.Node((), (("n", (check(0, 9, len),)),), ())
    with pytest.raises(ValueError, match="slot < 0"):
        _native.Node((), (("n", (check(-1, CALL, len),)),), ())
    with pytest.raises(TypeError, match="every child must be a Node"):
        _native.Node((), (), ((0, 0, {"a": "not a node"}, None),))
    with pytest.raises(TypeError, match="one longer"):
        _native.Node((), (), ((1, 0, ["a", "b"], (None,)),))
    with pytest.raises(TypeError, match="points must be strings"):
        _native.Node((), (), ((1, 0, [1, 2], (None, None, None)),))


def test_walk_reads_slots_and_reports_errors() -> None:
    leaf = _native.Node(("hit",), (), ())
    root = _native.Node(("always",), (("ranged", (check(1, RANGE, lambda v: False, 0, 10),)),),
                        ((0, 0, {"x": leaf}, None),))
    matched: list[Any] = []
    _native.visit(root, ["x", 3], matched)
    assert matched == ["always", "ranged", "hit"]
    matched = []
    _native.visit(root, ["y", 10], matched)  # 10 is outside [0, 10)
    assert matched == ["always"]
    with pytest.raises(IndexError, match="slot beyond"):
        _native.visit(root, ["x"], [])
    matched = []
    _native.visit(root, [MISSING, 0], matched)  # an absent slot reaches no child
    assert matched == ["always", "ranged"]

    def boom(value: Any) -> bool:
        raise ZeroDivisionError("from the predicate")

    failing = _native.Node((), (("n", (check(0, CALL, boom),)),), ())
    with pytest.raises(ZeroDivisionError, match="from the predicate"):
        _native.visit(failing, ["v"], [])
    with pytest.raises(TypeError, match="visit"):
        _native.visit(root, ("x", 3), [])  # type: ignore[arg-type]
