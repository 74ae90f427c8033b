"""Golden tests for the EventBridge pattern language, from AWS's documented examples and edges."""

from __future__ import annotations

from typing import Any

import pytest

from assetguard.core.errors import ValidationError
from assetguard.events.machine import RuleMachine
from assetguard.events.pattern import compile_pattern

# The example event of the EventBridge / event-ruler documentation.
EC2_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33",
               "instance-id": "i-000000aaaaaa00000", "state": "running"},
}


def match(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return compile_pattern(pattern).matches(event)


GOLDEN: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # -- documented examples against the EC2 event
    ("simple", {"detail-type": ["EC2 Instance State-change Notification"],
                "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
                "detail": {"state": ["initializing", "running"]}}, EC2_EVENT, True),
    ("prefix", {"time": [{"prefix": "2017-10-02"}]}, EC2_EVENT, True),
    ("prefix miss", {"time": [{"prefix": "2017-10-03"}]}, EC2_EVENT, False),
    ("suffix", {"source": [{"suffix": "ec2"}]}, EC2_EVENT, True),
    ("equals-ignore-case", {"source": [{"equals-ignore-case": "AWS.EC2"}]}, EC2_EVENT, True),
    ("wildcard", {"detail-type": [{"wildcard": "EC2*State-change*"}]}, EC2_EVENT, True),
    ("wildcard miss", {"detail-type": [{"wildcard": "EC2*Stopped"}]}, EC2_EVENT, False),
    ("anything-but string", {"detail": {"state": [{"anything-but": "initializing"}]}}, EC2_EVENT, True),
    ("anything-but string miss", {"detail": {"state": [{"anything-but": "running"}]}}, EC2_EVENT, False),
    ("anything-but number", {"detail": {"x-limit": [{"anything-but": 123}]}}, EC2_EVENT, True),
    ("anything-but list", {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}, EC2_EVENT, True),
    ("anything-but number list", {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}, EC2_EVENT, True),
    ("anything-but prefix", {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, EC2_EVENT, True),
    ("anything-but prefix miss", {"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}, EC2_EVENT, False),
    ("anything-but suffix", {"detail": {"state": [{"anything-but": {"suffix": "ing"}}]}}, EC2_EVENT, False),
    ("anything-but ignore case", {"detail": {"state": [{"anything-but": {"equals-ignore-case": "RUNNING"}}]}},
     EC2_EVENT, False),
    ("anything-but ignore case list", {"detail": {"state": [{"anything-but": {"equals-ignore-case": ["A", "b"]}}]}},
     EC2_EVENT, True),
    ("anything-but wildcard", {"detail": {"state": [{"anything-but": {"wildcard": "*unn*"}}]}}, EC2_EVENT, False),
    ("numeric", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}],
                            "x-limit": [{"numeric": ["=", 3.018e2]}]}}, EC2_EVENT, True),
    ("numeric open upper", {"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}}, EC2_EVENT, False),
    ("cidr", {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, EC2_EVENT, True),
    ("cidr miss", {"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, EC2_EVENT, False),
    ("exists true", {"detail": {"c-count": [{"exists": True}]}}, EC2_EVENT, True),
    ("exists false", {"detail": {"c-count": [{"exists": False}]}}, EC2_EVENT, False),
    ("exists false absent", {"detail": {"nope": [{"exists": False}]}}, EC2_EVENT, True),
    ("complex", {"time": [{"prefix": "2017-10-02"}],
                 "detail": {"state": [{"anything-but": "initializing"}], "c-count": [{"numeric": [">", 0, "<=", 5]}],
                            "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"anything-but": [100, 200, 300]}],
                            "source-ip": [{"cidr": "10.0.0.0/8"}]}}, EC2_EVENT, True),
    ("missing field", {"detail": {"nope": ["x"]}}, EC2_EVENT, False),
    # -- exists works on leaves only (AWS docs): an object-valued field does not exist
    ("exists false on object", {"detail": {"c-count": [{"exists": False}]}},
     {"detail": {"state": ["initializing", "running"], "c-count": {"c1": 100}}}, True),
    ("exists true on object", {"detail": {"c-count": [{"exists": True}]}}, {"detail": {"c-count": {"c1": 100}}}, False),
    # -- arrays: the event array matches when it intersects the pattern's values
    ("array intersect", {"resources": ["a", "b"]}, {"resources": ["z", "b"]}, True),
    ("array no intersect", {"resources": ["a", "b"]}, {"resources": ["z", "y"]}, False),
    ("empty event array", {"resources": ["a"]}, {"resources": []}, False),
    ("empty event array exists false", {"resources": [{"exists": False}]}, {"resources": []}, True),
    # -- objects inside arrays must match within the same element (event-ruler's array consistency)
    ("same element", {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}},
     {"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}]}, True),
    ("different elements", {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
     {"employees": [{"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}, False),
    ("nested arrays crushed", {"employees": {"firstName": ["Peter"]}},
     {"employees": [[{"firstName": "John"}, {"firstName": "Anna"}], [{"firstName": "Peter"}]]}, True),
    ("nested arrays different elements", {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
     {"employees": [[{"firstName": "Anna", "lastName": "Smith"}], [{"firstName": "Peter", "lastName": "Jones"}]]},
     False),
    # nested arrays of scalars are one flat list: two tests on the field may use different inner arrays
    ("nested scalar arrays flat", {"a": [{"suffix": "y"}], "$or": [{"a": ["x"]}, {"b": ["x"]}]},
     {"a": [["x"], ["y"]]}, True),
    ("nested scalar arrays inside one element", {"e": {"a": ["x"], "b": ["z"]}},
     {"e": [{"a": [["w"], ["x"]], "b": "z"}, {"a": "q", "b": "r"}]}, True),
    # exists: false is judged in the array element the other fields matched in
    ("exists false in the matching element", {"a": {"x": ["1"], "y": [{"exists": False}]}},
     {"a": [{"x": "1"}, {"x": "2", "y": "z"}]}, True),
    ("exists false with exists true, other element", {"a": {"b": [{"exists": True}], "c": [{"exists": False}]}},
     {"a": [{"b": 1}, {"c": 1}]}, True),
    ("exists false present in the matching element", {"a": {"x": ["1"], "y": [{"exists": False}]}},
     {"a": [{"x": "1", "y": "q"}, {"x": "2"}]}, False),
    ("exists false alone, present in one element", {"a": {"c": [{"exists": False}]}},
     {"a": [{"c": 1}, {"d": 2}]}, False),
    ("exists false or a value, in the matching element", {"a": {"x": ["1"], "y": [{"exists": False}, "ok"]}},
     {"a": [{"x": "1", "y": "ok"}, {"x": "2", "y": "bad"}]}, True),
    ("sibling arrays independent", {"a": {"x": [1]}, "b": {"y": [2]}},
     {"a": [{"x": 0}, {"x": 1}], "b": [{"y": 2}, {"y": 3}]}, True),
    # -- typed values: null is not "", "5" is not 5, true is not "true", 5 equals 5.0
    ("null matches null", {"d": [None]}, {"d": None}, True),
    ("null is not empty", {"d": [None]}, {"d": ""}, False),
    ("empty is not null", {"d": [""]}, {"d": None}, False),
    ("empty string", {"d": [""]}, {"d": ""}, True),
    ("string is not number", {"d": ["5"]}, {"d": 5}, False),
    ("number is not string", {"d": [5]}, {"d": "5"}, False),
    ("number equal by value", {"d": [5]}, {"d": 5.0}, True),
    ("bool typed", {"d": [True]}, {"d": "true"}, False),
    # the ±5.0e9 limit is numeric's only: exact numbers of any size match
    ("exact big number", {"account": [123456789012]}, {"account": 123456789012}, True),
    ("exact big number miss", {"account": [123456789012]}, {"account": 123456789013}, False),
    ("exact big negative float", {"d": [-6.5e12]}, {"d": -6.5e12}, True),
    ("bool is not 1", {"d": [True]}, {"d": 1}, False),
    ("null exists", {"d": [{"exists": True}]}, {"d": None}, True),
    ("prefix only strings", {"d": [{"prefix": "1"}]}, {"d": 12}, False),
    ("numeric only numbers", {"d": [{"numeric": [">", 1]}]}, {"d": "12"}, False),
    ("anything-but matches other types", {"d": [{"anything-but": "x"}]}, {"d": 5}, True),
    ("anything-but needs a value", {"d": [{"anything-but": "x"}]}, {}, False),
    ("anything-but array any element", {"d": [{"anything-but": "x"}]}, {"d": ["x", "y"]}, True),
    ("anything-but array all excluded", {"d": [{"anything-but": ["x", "y"]}]}, {"d": ["x", "y"]}, False),
    # -- prefix/suffix with equals-ignore-case
    ("prefix ignore case", {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"service": "eventbridge"},
     True),
    ("suffix ignore case", {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"FileName": "A.PNG"}, True),
    # ignoring case is a pattern character's lower or upper case (event-ruler's Locale.ROOT
    # mappings), never a wider fold: "k" is not the Kelvin sign, though the Kelvin sign lowers to "k"
    ("ignore case not the Kelvin sign", {"d": [{"equals-ignore-case": "k"}]}, {"d": "\u212a"}, False),
    ("ignore case Kelvin sign pattern", {"d": [{"equals-ignore-case": "\u212a"}]}, {"d": "k"}, True),
    ("ignore case Kelvin sign pattern, capital K", {"d": [{"equals-ignore-case": "\u212a"}]}, {"d": "K"}, False),
    ("ignore case prefix not the Kelvin sign", {"d": [{"prefix": {"equals-ignore-case": "ok"}}]},
     {"d": "O\u212a!"}, False),
    ("ignore case non-ASCII pair", {"d": [{"equals-ignore-case": "\u00e9t\u00c9"}]}, {"d": "\u00c9T\u00e9"}, True),
    ("ignore case sharp s", {"d": [{"equals-ignore-case": "stra\u00dfe"}]}, {"d": "STRASSE"}, True),
    ("ignore case final sigma", {"d": [{"equals-ignore-case": "\u03c3"}]}, {"d": "\u03c2"}, False),
    ("anything-but ignore case Kelvin", {"d": [{"anything-but": {"equals-ignore-case": "k"}}]}, {"d": "\u212a"},
     True),
    ("suffix case sensitive", {"FileName": [{"suffix": ".png"}]}, {"FileName": "A.PNG"}, False),
    # -- wildcard escapes
    ("wildcard escaped star", {"d": [{"wildcard": "a\\*b"}]}, {"d": "a*b"}, True),
    ("wildcard escaped star literal only", {"d": [{"wildcard": "a\\*b"}]}, {"d": "axxb"}, False),
    ("wildcard escaped backslash", {"d": [{"wildcard": "a\\\\*"}]}, {"d": "a\\zz"}, True),
    ("wildcard empty run", {"d": [{"wildcard": "a*b"}]}, {"d": "ab"}, True),
    ("wildcard newline", {"d": [{"wildcard": "a*b"}]}, {"d": "a\nb"}, True),
    # -- numeric: documented forms and bounds
    ("numeric lower inclusive", {"d": [{"numeric": [">=", 5]}]}, {"d": 5}, True),
    ("numeric lower exclusive", {"d": [{"numeric": [">", 5]}]}, {"d": 5}, False),
    ("numeric negative", {"d": [{"numeric": ["<", -1.5]}]}, {"d": -2}, True),
    ("numeric bool is not number", {"d": [{"numeric": [">", 0]}]}, {"d": True}, False),
    # -- cidr IPv6 and non-IP strings
    ("cidr ipv6", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"}, True),
    ("cidr ipv6 miss", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db9::1"}, False),
    ("cidr v4 vs v6", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "::ffff:10.0.0.1"}, False),
    ("cidr not ip", {"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "hello"}, False),
    # -- $or
    ("or top", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]},
     {"source": "aws.cloudwatch", "namespace": "AWS/EC2"}, True),
    ("or neither", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]},
     {"source": "aws.cloudwatch", "namespace": "AWS/ES"}, False),
    ("or and inside", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["X"]},
                                                              {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]}]},
     {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2"}, True),
    ("or and inside partial", {"$or": [{"metricName": ["X"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]}]},
     {"metricType": "MetricType", "namespace": "AWS/ES"}, False),
    ("parallel or", {"$or": [{"a": [1]}, {"b": [2]}], "detail": {"$or": [{"c": [3]}, {"d": [4]}]}},
     {"b": 2, "detail": {"d": 4}}, True),
    ("nested or", {"$or": [{"a": [1]}, {"b": [2], "$or": [{"c": [3]}, {"d": [4]}]}]}, {"b": 2, "d": 4}, True),
    ("nested or miss", {"$or": [{"a": [1]}, {"b": [2], "$or": [{"c": [3]}, {"d": [4]}]}]}, {"b": 2, "e": 4}, False),
    # $or with a single object, or as an object, is an ordinary field name
    ("or as field name object", {"$or": {"metricType": ["M"]}}, {"$or": {"metricType": "M"}}, True),
    ("or as field name object miss", {"$or": {"metricType": ["M"]}}, {"metricType": "M"}, False),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), [g[1:] for g in GOLDEN], ids=[g[0] for g in GOLDEN])
def test_golden(pattern: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert match(pattern, event) is expected


INVALID: list[tuple[str, Any, str]] = [
    ("not an object", ["source"], "$"),
    ("empty pattern", {}, "$"),
    ("leaf not array", {"source": "aws.ec2"}, "$.source"),
    ("empty array", {"detail": {"state": []}}, "$.detail.state"),
    ("nested array", {"a": [["x"]]}, "$.a[0]"),
    ("unknown operator", {"a": [{"contains": "x"}]}, "$.a[0].contains"),
    ("two operators", {"a": [{"prefix": "x", "suffix": "y"}]}, "$.a[0]"),
    ("prefix number", {"a": [{"prefix": 5}]}, "$.a[0].prefix"),
    ("prefix bad nested", {"a": [{"prefix": {"wildcard": "x"}}]}, "$.a[0].prefix"),
    ("double wildcard", {"a": [{"wildcard": "a**b"}]}, "$.a[0].wildcard"),
    ("bad escape", {"a": [{"wildcard": "a\\b"}]}, "$.a[0].wildcard"),
    ("exists not bool", {"a": [{"exists": "true"}]}, "$.a[0].exists"),
    ("numeric bad op", {"a": [{"numeric": ["!=", 5]}]}, "$.a[0].numeric[0]"),
    ("numeric odd", {"a": [{"numeric": [">", 5, "<"]}]}, "$.a[0].numeric"),
    ("numeric equal plus", {"a": [{"numeric": ["=", 5, "<", 6]}]}, "$.a[0].numeric[0]"),
    ("numeric two lower", {"a": [{"numeric": [">", 5, ">", 6]}]}, "$.a[0].numeric[2]"),
    ("numeric inverted", {"a": [{"numeric": [">", 10, "<", 5]}]}, "$.a[0].numeric"),
    ("numeric string", {"a": [{"numeric": [">", "5"]}]}, "$.a[0].numeric[1]"),
    ("numeric too big", {"a": [{"numeric": [">", 6e9]}]}, "$.a[0].numeric[1]"),
    ("cidr invalid", {"a": [{"cidr": "10.0.0.0/33"}]}, "$.a[0].cidr"),
    ("anything-but mixed list", {"a": [{"anything-but": ["x", 1]}]}, "$.a[0].anything-but"),
    ("anything-but empty list", {"a": [{"anything-but": []}]}, "$.a[0].anything-but"),
    ("anything-but null", {"a": [{"anything-but": None}]}, "$.a[0].anything-but"),
    ("anything-but numeric", {"a": [{"anything-but": {"numeric": [">", 1]}}]}, "$.a[0].anything-but.numeric"),
    ("or reserved keyword", {"$or": [{"numeric": 123}, {"prefix": "abc"}]}, "$.$or[0].numeric"),
    ("empty nested object", {"detail": {}}, "$.detail"),
    ("bad value type", {"a": 5}, "$.a"),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), [g[1:] for g in GOLDEN], ids=[g[0] for g in GOLDEN])
def test_golden_through_the_rule_index(engine: str, pattern: dict[str, Any], event: dict[str, Any],
                                       expected: bool) -> None:
    # The same cases through RuleMachine (trie edges, residual checks), on both walks, beside
    # rules that share the pattern's source so the case's rule sits below an indexed edge.
    machine = RuleMachine()
    machine.add("case", compile_pattern(pattern))
    for i, other in enumerate(({"source": ["aws.ec2"], "detail": {"state": ["x"]}},
                               {"source": [{"prefix": "aws."}], "detail-type": [{"prefix": "EC2"}]})):
        machine.add(f"other-{i}", compile_pattern(other))
    assert ("case" in machine.match(event)) is expected


@pytest.mark.parametrize(("pattern", "where"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
def test_invalid_patterns_name_the_json_path(pattern: Any, where: str) -> None:
    with pytest.raises(ValidationError) as info:
        compile_pattern(pattern)
    assert info.value.where == where, str(info.value)
    assert str(info.value).startswith(where + ": ")


def test_compiled_pattern_is_reusable_and_json_text_accepted() -> None:
    compiled = compile_pattern('{"source": ["a"]}')
    assert compiled.matches({"source": "a"})
    assert not compiled.matches({"source": "b"})
    assert compiled.matches({"source": ["b", "a"]})
