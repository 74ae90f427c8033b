"""Property test: the compiled matcher and the rule index agree with a small reference interpreter.

The reference walks the pattern and the event together, recursively, choosing one array element
for each nested sub-pattern (that is what "fields inside objects in arrays match within the same
element" means) and implements every operator directly, without the compiler's code.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetguard.events.machine import RuleMachine
from assetguard.events.pattern import compile_pattern

MISSING = object()
KEYS = ["a", "b", "c"]


# ------------------------------------------------------------------ reference interpreter
def scalars(value: Any) -> list[Any]:
    if value is MISSING or isinstance(value, dict):
        return []
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            out.extend(scalars(item))
        return out
    return [value]


def global_leaves(node: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return scalars(node)
    if isinstance(node, list):
        return [v for item in node for v in global_leaves(item, path)]
    if isinstance(node, dict) and path[0] in node:
        return global_leaves(node[path[0]], path[1:])
    return []


def same(a: Any, b: Any) -> bool:
    def kind(v: Any) -> str:
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, int | float):
            return "num"
        return type(v).__name__
    return kind(a) == kind(b) and a == b


def wildcard(pattern: str, text: str) -> bool:
    tokens: list[str | None] = []  # None = star
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            tokens.append(pattern[i + 1])
            i += 2
        elif pattern[i] == "*":
            tokens.append(None)
            i += 1
        else:
            tokens.append(pattern[i])
            i += 1
    # dp[i][j]: tokens[:i] match text[:j]
    dp = [[False] * (len(text) + 1) for _ in range(len(tokens) + 1)]
    dp[0][0] = True
    for ti in range(1, len(tokens) + 1):
        for j in range(len(text) + 1):
            tok = tokens[ti - 1]
            if tok is None:
                dp[ti][j] = dp[ti - 1][j] or (j > 0 and dp[ti][j - 1])
            else:
                dp[ti][j] = j > 0 and dp[ti - 1][j - 1] and text[j - 1] == tok
    return dp[len(tokens)][len(text)]


def is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def op_matches(op: dict[str, Any], v: Any) -> bool:
    (name, arg), = op.items()
    if name == "exists":
        return bool(arg)
    if name in ("prefix", "suffix"):
        if not isinstance(v, str):
            return False
        if isinstance(arg, dict):
            a, s = arg["equals-ignore-case"].lower(), v.lower()
        else:
            a, s = arg, v
        return s.startswith(a) if name == "prefix" else s.endswith(a)
    if name == "equals-ignore-case":
        return isinstance(v, str) and v.lower() == arg.lower()
    if name == "wildcard":
        return isinstance(v, str) and wildcard(arg, v)
    if name == "cidr":
        try:
            return isinstance(v, str) and ipaddress.ip_address(v) in ipaddress.ip_network(arg, strict=False)
        except (ValueError, TypeError):
            return False
    if name == "numeric":
        if not is_num(v):
            return False
        ok = True
        for i in range(0, len(arg), 2):
            o, n = arg[i], arg[i + 1]
            ok = ok and {"=": v == n, "<": v < n, "<=": v <= n, ">": v > n, ">=": v >= n}[o]
        return ok
    if name == "anything-but":
        if isinstance(arg, dict):
            (inner, value), = arg.items()
            values = value if isinstance(value, list) else [value]
            return not any(op_matches({inner: x}, v) for x in values)
        values = arg if isinstance(arg, list) else [arg]
        return not any(same(x, v) for x in values)
    raise AssertionError(name)


def ref_leaf(tests: list[Any], value: Any, root: Any, path: tuple[str, ...]) -> bool:
    values = scalars(value)
    for t in tests:
        if isinstance(t, dict) and t == {"exists": False}:
            if not global_leaves(root, path):
                return True
            continue
        for v in values:
            if (isinstance(t, dict) and op_matches(t, v)) or (not isinstance(t, dict) and same(t, v)):
                return True
    return False


def is_or(key: str, value: Any) -> bool:
    reserved = {"prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "cidr", "exists"}
    return (key == "$or" and isinstance(value, list) and len(value) >= 2 and all(isinstance(x, dict) for x in value)
            and not any(k in reserved for x in value for k in x))


def ref_obj(pattern: dict[str, Any], node: Any, root: Any, path: tuple[str, ...]) -> bool:
    d = node if isinstance(node, dict) else {}
    for key, value in pattern.items():
        if is_or(key, value):
            if not any(ref_obj(alt, node, root, path) for alt in value):
                return False
        elif isinstance(value, dict):
            if not ref_sub(value, d.get(key, MISSING), root, (*path, key)):
                return False
        elif not ref_leaf(value, d.get(key, MISSING), root, (*path, key)):
            return False
    return True


def ref_sub(pattern: dict[str, Any], child: Any, root: Any, path: tuple[str, ...]) -> bool:
    if isinstance(child, list):
        if any(ref_sub(pattern, c, root, path) for c in child if isinstance(c, dict | list)):
            return True
        return ref_obj(pattern, {}, root, path)
    return ref_obj(pattern, child if isinstance(child, dict) else {}, root, path)


def reference(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return ref_obj(pattern, event, event, ())


# ------------------------------------------------------------------ generators
scalar = st.sampled_from(["x", "y", "xy", "X", "", "10.0.0.5", "2001:db8::1", 0, 1, 2.5, -3, None, True, False])
leaf_test = st.one_of(
    scalar,
    st.builds(lambda s: {"prefix": s}, st.sampled_from(["x", "", "1"])),
    st.builds(lambda s: {"suffix": s}, st.sampled_from(["y", "Y"])),
    st.builds(lambda s: {"prefix": {"equals-ignore-case": s}}, st.sampled_from(["x", "X"])),
    st.builds(lambda s: {"suffix": {"equals-ignore-case": s}}, st.sampled_from(["y", "XY"])),
    st.builds(lambda s: {"equals-ignore-case": s}, st.sampled_from(["x", "XY"])),
    st.builds(lambda s: {"wildcard": s}, st.sampled_from(["*", "x*", "*y", "x*y", "\\*", "X*"])),
    st.builds(lambda s: {"anything-but": s}, st.sampled_from(["x", 1, ["x", "y"], [0, 1]])),
    st.builds(lambda s: {"anything-but": s}, st.sampled_from([{"prefix": "x"}, {"suffix": "y"},
                                                              {"equals-ignore-case": "X"}, {"wildcard": "*y"},
                                                              {"equals-ignore-case": ["x", "y"]}])),
    st.builds(lambda s: {"numeric": s}, st.sampled_from([[">", 0], ["<=", 1], [">=", -3, "<", 2.5], ["=", 1]])),
    st.builds(lambda s: {"cidr": s}, st.sampled_from(["10.0.0.0/24", "2001:db8::/32"])),
    st.builds(lambda b: {"exists": b}, st.booleans()),
)
leaf = st.lists(leaf_test, min_size=1, max_size=3)


def pattern_objects(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    value: st.SearchStrategy[Any] = leaf if depth == 0 else st.one_of(leaf, leaf, pattern_objects(depth - 1))
    base = st.dictionaries(st.sampled_from(KEYS), value, min_size=1, max_size=3)
    if depth == 0:
        return base
    ors = st.lists(pattern_objects(depth - 1), min_size=2, max_size=3)
    return st.one_of(base, st.builds(lambda b, o: {**b, "$or": o}, base, ors))


event_value = st.recursive(
    scalar,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(KEYS), children, max_size=3)),
    max_leaves=8,
)
events = st.dictionaries(st.sampled_from(KEYS), event_value, max_size=3)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern_objects(2), events)
def test_compiled_matches_reference(pattern: dict[str, Any], event: dict[str, Any]) -> None:
    assert compile_pattern(pattern).matches(event) is reference(pattern, event), (pattern, event)


@pytest.mark.usefixtures("engine")  # on both walks (conftest)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pattern_objects(1), min_size=1, max_size=8), events)
def test_rule_index_matches_reference(patterns: list[dict[str, Any]], event: dict[str, Any]) -> None:
    machine = RuleMachine()
    for i, p in enumerate(patterns):
        machine.add(i, compile_pattern(p))
    expected = {i for i, p in enumerate(patterns) if reference(p, event)}
    assert set(machine.match(event)) == expected, (patterns, event)
