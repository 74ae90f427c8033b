"""The rule index (``RuleMachine``) against the reference interpreter, on the shapes the index
special-cases: key spaces (exact, prefix chains, lower-cased), typed keys, inline numeric and
anything-but checks, slot values that are arrays, names-only leaves, re-freezing."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetguard.events.machine import RuleMachine, _PrefixSet
from assetguard.events.pattern import compile_pattern
from tests.events.test_pattern_property import reference

pytestmark = pytest.mark.usefixtures("engine")  # each test runs on both walks (conftest)

WORDS = ["", "a", "ab", "abc", "abd", "b", "ba", "A", "AB", "Ab"]


def machine_of(patterns: list[dict[str, Any]], engine: str | None = None) -> RuleMachine:
    machine = RuleMachine(engine=engine)
    for i, p in enumerate(patterns):
        machine.add(i, compile_pattern(p))
    return machine.freeze()


def expected(patterns: list[dict[str, Any]], event: dict[str, Any]) -> set[int]:
    return {i for i, p in enumerate(patterns) if reference(p, event)}


def test_prefix_set_finds_every_prefix_chain() -> None:
    rng = random.Random(3)
    for _ in range(200):
        prefixes = {"".join(rng.choice("ab") for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(1, 8))}
        index = _PrefixSet(prefixes)
        for _ in range(20):
            text = "".join(rng.choice("abc") for _ in range(rng.randint(0, 6)))
            assert sorted(index.matching(text)) == sorted(p for p in prefixes if text.startswith(p)), (prefixes, text)


def test_exact_keys_are_typed() -> None:
    patterns = [{"a": [1]}, {"a": [True]}, {"a": ["1"]}, {"a": [None]}, {"a": [1.0, "x"]}, {"a": [0]}, {"a": [False]}]
    machine = machine_of(patterns)
    for value in (1, 1.0, True, "1", None, 0, False, 0.0, "x", [1, "x"], [True, None], []):
        event = {"a": value}
        assert set(machine.match(event)) == expected(patterns, event), value


def test_inline_numeric_and_anything_but_checks() -> None:
    patterns = [{"s": ["x"], "n": [{"numeric": [">", 5, "<=", 10]}]},
                {"s": ["x"], "n": [{"numeric": ["=", 7]}]},
                {"s": ["x"], "n": [{"numeric": ["<", 0]}]},
                {"s": ["x"], "t": [{"anything-but": ["a", "b"]}]},
                {"s": ["x"], "t": [{"anything-but": [1, 2]}]},
                {"s": ["x"], "t": [{"exists": False}]}]
    machine = machine_of(patterns)
    for n in (5, 5.5, 7, 7.0, 10, 10.01, -1, True, False, "7", None, 10**400, -(10**400), float("nan"),
              float("inf"), [3, 7], []):
        for t in ("a", "c", 1, 3, True, None, ["a", "b"], ["a", "z"], []):
            event = {"s": "x", "n": n, "t": t}
            assert set(machine.match(event)) == expected(patterns, event), event


def test_prefix_and_ignore_case_edges_on_arrays_and_non_strings() -> None:
    patterns = [{"r": [{"prefix": "arn:aws:s3:"}]}, {"r": [{"prefix": "arn:aws:"}]}, {"r": [{"prefix": ""}]},
                {"r": [{"prefix": "arn:aws:s3:::b"}], "u": [{"equals-ignore-case": "ALICE"}]},
                {"u": [{"equals-ignore-case": "bob"}, {"equals-ignore-case": "BOB"}]},
                {"u": [{"equals-ignore-case": "bob"}, "carol"]}]
    machine = machine_of(patterns)
    for r in ("arn:aws:s3:::bucket", "arn:aws:ec2:x", "arn", "", 5, None, ["x", "arn:aws:s3:::b1"], []):
        for u in ("alice", "Bob", "carol", "CAROL", 1, ["x", "BOB"]):
            event = {"r": r, "u": u}
            assert set(machine.match(event)) == expected(patterns, event), event


def test_refreeze_after_more_rules_and_names_only_leaves() -> None:
    machine = RuleMachine()
    machine.add("r1", compile_pattern({"source": ["a"]}))
    assert machine.match({"source": "a"}) == ["r1"]
    machine.add("r2", compile_pattern({"source": ["a"], "detail": {"n": [{"numeric": [">", 1]}]}}))
    machine.add("r3", compile_pattern({"detail": {"u": [{"prefix": "x"}]}}))
    assert sorted(machine.match({"source": "a", "detail": {"n": 2, "u": "xy"}})) == ["r1", "r2", "r3"]
    assert machine.match({"source": "b", "detail": {"n": 2, "u": "y"}}) == []
    assert len(machine) == 3


def test_same_element_rule_still_holds_with_many_rules() -> None:
    patterns = [{"d": {"k": ["team"], "v": ["platform"]}}, {"d": {"k": ["team"], "v": ["security"]}},
                {"d": {"k": [{"prefix": "te"}], "v": [{"anything-but": "platform"}]}}]
    machine = machine_of(patterns)
    for event in ({"d": [{"k": "team", "v": "security"}, {"k": "owner", "v": "platform"}]},
                  {"d": [{"k": "team", "v": "platform"}]},
                  {"d": {"k": "team", "v": "security"}}):
        assert set(machine.match(event)) == expected(patterns, event), event


leaf = st.one_of(
    st.sampled_from(WORDS + [0, 1, 2.5, None, True, False]),
    st.builds(lambda s: {"prefix": s}, st.sampled_from(WORDS)),
    st.builds(lambda s: {"equals-ignore-case": s}, st.sampled_from(WORDS)),
    st.builds(lambda s: {"numeric": s}, st.sampled_from([[">", 0], ["<=", 1], [">=", 0, "<", 2.5], ["=", 1]])),
    st.builds(lambda s: {"anything-but": s}, st.sampled_from(["a", ["a", "ab"], [0, 1]])),
    st.builds(lambda s: {"wildcard": s}, st.sampled_from(["a*", "*b", "*", "a*b", "ab*b", "a*b*", "\\*"])),
    st.builds(lambda b: {"exists": b}, st.booleans()),
)
field_tests = st.lists(leaf, min_size=1, max_size=3)
flat_pattern = st.dictionaries(st.sampled_from(["p", "q", "r"]), field_tests, min_size=1, max_size=3)
nested_pattern = st.one_of(flat_pattern, st.builds(lambda a, b: {**a, "d": b}, flat_pattern, flat_pattern))
event_value = st.one_of(st.sampled_from(WORDS + [0, 1, 2.5, None, True, False]),
                        st.lists(st.sampled_from(WORDS + [0, 1, None]), max_size=3))
flat_event = st.dictionaries(st.sampled_from(["p", "q", "r"]), event_value, max_size=3)
events = st.one_of(flat_event, st.builds(lambda a, b: {**a, "d": b}, flat_event, flat_event))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(nested_pattern, min_size=1, max_size=40), st.lists(events, min_size=1, max_size=5))
def test_many_rules_match_like_the_reference(patterns: list[dict[str, Any]], sample: list[dict[str, Any]]) -> None:
    machine = machine_of(patterns)
    for event in sample:
        assert set(machine.match(event)) == expected(patterns, event), (patterns, event)


class Text(str):
    """A str subclass: the visitors' fast paths test ``type(x) is str``; this takes the others."""


def test_str_subclasses_and_wildcards_take_the_general_path() -> None:
    patterns = [{"s": ["ab"]}, {"s": [{"prefix": "a"}]}, {"s": [{"equals-ignore-case": "AB"}]},
                {"t": ["x"], "s": [{"wildcard": "a*"}]}, {"t": ["x"], "s": [{"anything-but": ["ab"]}]},
                {"t": ["x"], "s": [{"wildcard": "*b"}, {"exists": False}]}]
    machine = machine_of(patterns)
    compiled = [compile_pattern(p) for p in patterns]
    for s in ("ab", Text("ab"), Text("AB"), "ba", [Text("ab"), "c"], 1, None, [], ["zz", Text("ab")]):
        for event in ({"t": "x", "s": s}, {"t": Text("x"), "s": s}, {"t": "x"}):
            # The reference tells types by name; the pattern's own matcher reads a subclass as a string.
            assert set(machine.match(event)) == {i for i, c in enumerate(compiled) if c.matches(event)}, event


def test_node_with_many_checked_rules_and_shared_shapes() -> None:
    # Forty rules with the same source and one numeric range each: one node, checked as data.
    patterns: list[dict[str, Any]] = [{"source": ["a"], "n": [{"numeric": [">=", i, "<", i + 3]}]} for i in range(40)]
    patterns += [{"source": [f"s{i}"], "n": [{"numeric": [">", i]}]} for i in range(40)]
    machine = machine_of(patterns)
    # Forty nodes of the second kind differ only in constants: they share one generated function.
    assert 0 < machine_of(patterns, engine="python").shape_count <= 4
    for source in ("a", "s3", "s39", "b"):
        for n in (0, 2, 2.5, 10, 39, 41, True, "5", [1, 38], None):
            event = {"source": source, "n": n}
            assert set(machine.match(event)) == expected(patterns, event), event


def test_empty_and_names_only_roots() -> None:
    assert RuleMachine().freeze().match({"a": 1}) == []
    machine = machine_of([{"a": [{"exists": False}]}, {"b": [{"exists": False}]}])
    assert set(machine.match({})) == {0, 1}
    assert machine.match({"a": 1}) == [1]


def test_rule_text_never_becomes_code() -> None:
    # Values, prefixes, names and field names that would break (or inject into) generated source
    # if they were pasted into it; they are constants, so they only match.
    tricky = ['"); raise SystemExit("', "'''", "a\nb", "\\", "{x}", "m[n] = None"]
    patterns = [{word: [word, {"prefix": word}], "n": [{"numeric": [">", i]}]} for i, word in enumerate(tricky)]
    patterns += [{"s": [{"equals-ignore-case": word}, {"anything-but": [word]}]} for word in tricky]
    machine = RuleMachine()
    for i, p in enumerate(patterns):
        machine.add(f'rule"{i}\n', compile_pattern(p))
    machine.freeze()
    for word in tricky:
        for event in ({word: word, "n": 10}, {word: word + "z", "n": 0}, {"s": word.upper()}, {"s": word}):
            assert set(machine.match(event)) == {f'rule"{i}\n' for i in expected(patterns, event)}, event


def test_one_star_wildcards_match_like_the_regex() -> None:
    """A wildcard with one star is a startswith/endswith test; the texts before and after the
    star may not overlap, and a wildcard with escapes or two stars keeps its regex."""
    wildcards = ["ab*", "*ab", "a*b", "ab*b", "ab*ba", "*", "a.b*", "*.b", "a*b*", "a\\*b*", "\\*"]
    texts = ["", "a", "b", "ab", "aba", "abb", "abba", "abab", "a.b", "x.b", "a*bb", "a\nb", "ba"]
    patterns = [{"s": [{"wildcard": w}], "t": [f"r{i}"]} for i, w in enumerate(wildcards)]
    machine = machine_of(patterns)
    for text in texts:
        for value in (text, [text, 1], Text(text)):
            for i in range(len(wildcards)):
                event = {"s": value, "t": f"r{i}"}
                assert set(machine.match(event)) == expected(patterns, event), (wildcards[i], value)


def test_prefix_edges_match_like_startswith_near_the_top_code_point() -> None:
    """A prefix edge finds the prefixes a string starts with by where the string sorts among the
    prefixes and their bounds; a prefix ending in U+10FFFF (whose last character cannot be
    raised) and the empty prefix have bounds of their own."""
    top = "\U0010ffff"
    alphabet = ["a", "b", top, "\ud7ff", "\ue000"]
    rng = random.Random(5)
    for _ in range(60):
        prefixes = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3)))
                           for _ in range(rng.randint(1, 7))})
        patterns: list[dict[str, Any]] = [{"s": [{"prefix": p}]} for p in prefixes]
        patterns += [{"s": [{"prefix": p}], "t": ["x"]} for p in prefixes[::2]]  # children that are visitors
        machine = machine_of(patterns)
        for _ in range(30):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
            for event in ({"s": text, "t": "x"}, {"s": [text, "b"], "t": "x"}, {"s": text}):
                assert set(machine.match(event)) == expected(patterns, event), (prefixes, event)


@pytest.mark.parametrize("alphabet", [["a", "b", "\xe9", "\xff"], ["a", "\xe9", "\u20ac"], ["a", "\U0001f600", "b"]],
                         ids=["one-byte", "two-byte", "four-byte"])
def test_prefix_edges_with_text_of_every_width(alphabet: list[str]) -> None:
    """Prefix points and event strings of one, two and four bytes per code point (the native walk
    keeps one-byte points inline and compares other widths as Python strings)."""
    rng = random.Random(11)
    for _ in range(40):
        prefixes = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3)))
                           for _ in range(rng.randint(1, 6))})
        patterns: list[dict[str, Any]] = [{"s": [{"prefix": p}]} for p in prefixes]
        machine = machine_of(patterns)
        for _ in range(25):
            text = "".join(rng.choice(alphabet + ["c", "\u0101"]) for _ in range(rng.randint(0, 4)))
            for event in ({"s": text}, {"s": [text, "a"]}):
                assert set(machine.match(event)) == expected(patterns, event), (prefixes, event)


def test_numeric_bounds_whole_fractional_and_missing() -> None:
    """Whole-number bounds are compared as ints and a missing (infinite, closed) bound not at
    all; the answers stay those of exact int/float comparison."""
    ranges = [[">", 5], [">=", 5], ["<", -2], ["<=", 2.5], [">", 4.5, "<", 5.5], [">=", -3, "<=", 3],
              ["=", 0], ["=", 0.5], [">", 4999999999, "<=", 5000000000]]
    patterns = [{"s": ["x"], "n": [{"numeric": r}]} for r in ranges]
    machine = machine_of(patterns)
    for n in (5, 5.0, 5.000000001, 4.999999999, 6, -2, -2.0, -3, 2.5, 2, 3, 0, -0.0, 0.5, 4999999999,
              4999999999.5, 5000000000, 5000000001, 10**400, -(10**400), float("inf"), float("-inf"),
              float("nan"), True, False, "5", None, [1, 6], []):
        event = {"s": "x", "n": n}
        assert set(machine.match(event)) == expected(patterns, event), n


def test_spaces_most_rules_use_come_first_most_used_first() -> None:
    # detail-type is in 4 of 5 rules: right after source, before the more selective account.
    patterns: list[dict[str, Any]] = [{"source": ["a"], "detail-type": ["t0"], "account": [f"{i}"]} for i in range(3)]
    patterns += [{"source": ["a"], "detail-type": ["t9"]}, {"source": ["b"]}]
    machine = machine_of(patterns)
    assert [path for _kind, path in machine._space_list] == [("source",), ("detail-type",), ("account",)]
    for event in ({"source": "a", "detail-type": "t0", "account": "1"}, {"source": "b", "account": "1"},
                  {"source": "a", "detail-type": "t9", "account": "0"}, {"source": "a", "account": "2"}):
        assert set(machine.match(event)) == expected(patterns, event), event


def test_engine_choice_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from assetguard.core.errors import ConfigError
    from assetguard.events import native_nodes

    monkeypatch.setenv("ASSETGUARD_EVENTS_MATCHER", "fast")
    with pytest.raises(ConfigError, match="expected 'native' or 'python', got 'fast'"):
        RuleMachine()
    monkeypatch.setenv("ASSETGUARD_EVENTS_MATCHER", "python")
    assert RuleMachine()._native is False
    monkeypatch.setattr(native_nodes, "AVAILABLE", False)
    with pytest.raises(ConfigError, match="not built"):
        RuleMachine(engine="native")
    monkeypatch.delenv("ASSETGUARD_EVENTS_MATCHER")
    assert RuleMachine()._native is False  # not built: the Python visitors, no error
