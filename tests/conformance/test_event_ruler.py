"""event-ruler: pattern matching, from event-ruler's own correctness cases and README."""

from __future__ import annotations

from typing import Any

import pytest

from assetguard.events.machine import RuleMachine
from assetguard.events.pattern import compile_pattern

from .conftest import known_difference

# aws/event-ruler src/test/resources/correctness-cases.json at
# 7677eaf54da06a488d17fe3cc7909fab6b745633: (name, rule, event, matches). The file gives rule
# and event; event-ruler's StructuredFinderTest checks its two matchers agree on them. The
# expected answer is event-ruler's array-consistent matching, the case names say which
# ("same element" matches, "split" across array elements does not).
CORRECTNESS_CASES = [
    ('flat: 2-field exists, both present',
     {"d": {"a": [{"exists": True}], "b": [{"exists": True}]}},
     {"d": {"a": 1, "b": 2}}, True),
    ('flat: 2-field exists, one missing',
     {"d": {"a": [{"exists": True}], "b": [{"exists": True}]}},
     {"d": {"a": 1}}, False),
    ('flat: exact match',
     {"d": {"a": ["hello"], "b": ["world"]}},
     {"d": {"a": "hello", "b": "world"}}, True),
    ('flat: exact mismatch',
     {"d": {"a": ["hello"], "b": ["world"]}},
     {"d": {"a": "hello", "b": "nope"}}, False),
    ('flat: prefix',
     {"d": {"a": [{"prefix": "hel"}]}},
     {"d": {"a": "hello"}}, True),
    ('flat: numeric range',
     {"d": {"x": [{"numeric": [">", 0, "<", 100]}]}},
     {"d": {"x": 50}}, True),
    ('flat: anything-but',
     {"d": {"s": [{"anything-but": "banned"}]}},
     {"d": {"s": "active"}}, True),
    ('objarray: same element',
     {"d": {"a": [{"exists": True}], "b": [{"exists": True}]}},
     {"d": [{"a": 1, "b": 2}]}, True),
    ('objarray: split',
     {"d": {"a": [{"exists": True}], "b": [{"exists": True}]}},
     {"d": [{"a": 1}, {"b": 2}]}, False),
    ('objarray: 3 elem, last valid',
     {"d": {"a": [{"exists": True}], "b": [{"exists": True}]}},
     {"d": [{"a": 1}, {"b": 2}, {"a": 3, "b": 4}]}, True),
    ('objarray: 3-field, all in one',
     {"d": {"a": [{"exists": True}], "b": [{"exists": True}], "c": [{"exists": True}]}},
     {"d": [{"a": 1, "b": 2, "c": 3}]}, True),
    ('objarray: 3-field, split 3 ways',
     {"d": {"a": [{"exists": True}], "b": [{"exists": True}], "c": [{"exists": True}]}},
     {"d": [{"a": 1}, {"b": 2}, {"c": 3}]}, False),
    ('objarray: exact same elem',
     {"d": {"name": ["alice"], "status": ["active"]}},
     {"d": [{"name": "alice", "status": "active"}]}, True),
    ('objarray: exact split',
     {"d": {"name": ["alice"], "status": ["active"]}},
     {"d": [{"name": "alice"}, {"status": "active"}]}, False),
    ('objarray: prefix same',
     {"d": {"name": [{"prefix": "al"}], "status": [{"exists": True}]}},
     {"d": [{"name": "alice", "status": "ok"}]}, True),
    ('objarray: prefix split',
     {"d": {"name": [{"prefix": "al"}], "status": [{"exists": True}]}},
     {"d": [{"name": "alice"}, {"status": "ok"}]}, False),
    ('primarray: exists',
     {"d": {"tags": [{"exists": True}], "name": [{"exists": True}]}},
     {"d": {"tags": ["a", "b"], "name": "x"}}, True),
    ('primarray: exact match',
     {"tags": ["admin"]},
     {"tags": ["user", "admin"]}, True),
    ('primarray: no match',
     {"tags": ["superadmin"]},
     {"tags": ["user", "admin"]}, False),
    ('nested: inner same',
     {"u": {"t": {"k": ["color"], "v": ["blue"]}}},
     {"u": [{"t": [{"k": "color", "v": "blue"}]}]}, True),
    ('nested: inner split',
     {"u": {"t": {"k": ["color"], "v": ["blue"]}}},
     {"u": [{"t": [{"k": "color"}, {"v": "blue"}]}]}, False),
    ('nested: outer split',
     {"d": {"name": [{"exists": True}], "info": {"x": ["1"]}}},
     {"d": [{"name": "alice"}, {"info": {"x": "1"}}]}, False),
    ('nested: outer same',
     {"d": {"name": [{"exists": True}], "info": {"x": ["1"]}}},
     {"d": [{"name": "alice", "info": {"x": "1"}}]}, True),
    ('nested2: same leaf',
     {"a": {"b": {"x": [{"exists": True}], "y": [{"exists": True}]}}},
     {"a": [{"b": [{"x": 1, "y": 2}]}]}, True),
    ('nested2: split leaf',
     {"a": {"b": {"x": [{"exists": True}], "y": [{"exists": True}]}}},
     {"a": [{"b": [{"x": 1}, {"y": 2}]}]}, False),
    ('mixed: array+scalar match',
     {"users": {"name": [{"exists": True}]}, "version": ["1"]},
     {"users": [{"name": "alice"}], "version": "1"}, True),
    ('mixed: array+scalar fail',
     {"users": {"name": [{"exists": True}]}, "version": ["2"]},
     {"users": [{"name": "alice"}], "version": "1"}, False),
    ('exists-False: absent',
     {"d": {"a": [{"exists": True}], "b": [{"exists": False}]}},
     {"d": [{"a": 1}]}, True),
    ('exists-False: present',
     {"d": {"a": [{"exists": True}], "b": [{"exists": False}]}},
     {"d": [{"a": 1, "b": 2}]}, False),
    ('empty object',
     {"d": {"a": [{"exists": True}]}},
     {}, False),
    ('empty array',
     {"d": {"a": [{"exists": True}]}},
     {"d": []}, False),
    ('single-field rule',
     {"d": {"a": [{"exists": True}]}},
     {"d": [{"a": 1}, {"a": 2}]}, True),
    ('many elem one valid',
     {"d": {"a": ["target"], "b": ["found"]}},
     {"d": [{"a": "x"}, {"a": "y"}, {"a": "target", "b": "found"}, {"a": "z"}]}, True),
    ('numeric+exists array',
     {"i": {"p": [{"numeric": [">", 0, "<", 100]}], "n": [{"exists": True}]}},
     {"i": [{"n": "w", "p": 50}, {"n": "g", "p": 200}]}, True),
    ('anything-but array',
     {"u": {"s": [{"anything-but": "banned"}], "n": [{"exists": True}]}},
     {"u": [{"n": "alice", "s": "banned"}, {"n": "bob", "s": "active"}]}, True),
    ('primarray: large + scalar, exists',
     {"d": {"tags": [{"exists": True}], "type": [{"exists": True}]}},
     {"d": {"tags": ["a", "b", "c"], "type": "GROUP"}}, True),
    ('primarray: large + scalar, prefix',
     {"d": {"tags": [{"prefix": "ad"}], "type": [{"exists": True}]}},
     {"d": {"tags": ["admin", "user", "dev"], "type": "GROUP"}}, True),
    ('primarray: large + scalar, no match',
     {"d": {"tags": [{"prefix": "super"}], "type": [{"exists": True}]}},
     {"d": {"tags": ["admin", "user", "dev"], "type": "GROUP"}}, False),
    ('primarray: nested under object',
     {"detail": {"data": {"name": [{"exists": True}], "type": [{"exists": True}]}}},
     {"detail": {"data": {"name": ["alice", "bob"], "type": "GROUP"}}}, True),
    ('primarray: two prim arrays + scalar',
     {"tags": [{"exists": True}], "cats": [{"exists": True}], "v": ["1"]},
     {"tags": ["a", "b"], "cats": ["x", "y"], "v": "1"}, True),
    ('primarray: exact match among many',
     {"d": {"name": ["target"], "type": ["GROUP"]}},
     {"d": {"name": ["a", "b", "target", "c"], "type": "GROUP"}}, True),
    ('primarray: numeric in array',
     {"d": {"vals": [{"numeric": [">", 0, "<", 10]}], "type": [{"exists": True}]}},
     {"d": {"vals": [100, 5, 200], "type": "ok"}}, True),
    ('primarray: anything-but in array',
     {"d": {"tags": [{"anything-but": "banned"}], "type": [{"exists": True}]}},
     {"d": {"tags": ["banned", "ok"], "type": "x"}}, True),
    ('primarray: single value array',
     {"d": {"name": [{"exists": True}], "type": [{"exists": True}]}},
     {"d": {"name": ["only"], "type": "x"}}, True),
    ('primarray: empty prim array',
     {"d": {"name": [{"exists": True}], "type": [{"exists": True}]}},
     {"d": {"name": [], "type": "x"}}, False),
    ('mixed: obj-array + prim-array',
     {"users": {"name": [{"exists": True}]}, "tags": ["admin"]},
     {"users": [{"name": "alice"}], "tags": ["admin", "user"]}, True),
    ('mixed: obj-array split + prim-array',
     {"users": {"name": [{"exists": True}], "email": [{"exists": True}]}, "tags": ["admin"]},
     {"users": [{"name": "alice"}, {"email": "b@x"}], "tags": ["admin"]}, False),
    ('deep prim: nested 3 levels',
     {"a": {"b": {"c": {"vals": [{"exists": True}], "type": [{"exists": True}]}}}},
     {"a": {"b": {"c": {"vals": ["x", "y", "z"], "type": "ok"}}}}, True),
    ('suffix match in array',
     {"d": {"name": [{"suffix": "ice"}], "type": [{"exists": True}]}},
     {"d": [{"name": "alice", "type": "user"}]}, True),
    ('N emails, only last element has name — dedup loses the only valid match',
     {"detail": {"email": [{"exists": True}], "name": [{"exists": True}]}},
     {"detail": [{"email": "a@x"}, {"email": "b@x"}, {"email": "c@x"}, {"email": "d@x"}, {"email": "e@x", "name": "eve"}]}, True),
    ('suffix match split',
     {"d": {"name": [{"suffix": "ice"}], "type": [{"exists": True}]}},
     {"d": [{"name": "alice"}, {"type": "user"}]}, False),
]

# aws/event-ruler README.md at the same commit: behaviour assetguard deliberately does not copy
# (docs/events.md, "Differences from the reference").
README_CASES = [
    known_difference("dotted key matches nested fields",
                     {"detail": {"state.status": ["running"]}}, {"detail": {"state": {"status": "running"}}}, True,
                     reason="event-ruler joins keys with '.', and says not to rely on it; assetguard "
                            "reads a dotted key as one field name"),
    known_difference("nested rule matches a dotted event key",
                     {"detail": {"state": {"status": ["running"]}}}, {"detail": {"state.status": "running"}}, True,
                     reason="as above"),
    known_difference("anything-but prefix list", {"detail": {"state": [{"anything-but": {"prefix": ["init", "error"]}}]}},
                     {"detail": {"state": "running"}}, True,
                     reason="EventBridge documents one prefix (suffix) for anything-but; assetguard "
                            "refuses a list"),
    known_difference("anything-but suffix list",
                     {"detail": {"instance-id": [{"anything-but": {"suffix": ["1234", "6789"]}}]}},
                     {"detail": {"instance-id": "i-0005"}}, True, reason="as above"),
]


def _both(rule: dict[str, Any], event: dict[str, Any]) -> tuple[bool, bool]:
    compiled = compile_pattern(rule)
    machine = RuleMachine()
    machine.add("r", compiled)
    machine.freeze()
    return compiled.matches(event), bool(machine.match(event))


@pytest.mark.parametrize(("name", "rule", "event", "expected"), CORRECTNESS_CASES,
                         ids=[c[0] for c in CORRECTNESS_CASES])
def test_correctness_cases(name: str, rule: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert _both(rule, event) == (expected, expected)


@pytest.mark.parametrize(("name", "rule", "event", "expected"), README_CASES)
def test_readme_cases(name: str, rule: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert _both(rule, event) == (expected, expected)
