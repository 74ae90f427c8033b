"""ASFF filter semantics: strings (positive OR, negative AND), numbers, dates, maps, and property tests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetguard.core.errors import ValidationError
from assetguard.findings.filters import compile_filters

F = {"Severity": {"Label": "HIGH", "Normalized": 70}, "UpdatedAt": "2026-01-02T00:00:00Z", "GeneratorId": "iam-x",
     "Resources": [{"Type": "AwsS3Bucket", "Tags": {"env": "dev"}}, {"Type": "AwsIamUser"}]}


@pytest.mark.parametrize(("filters", "expected"), [
    ({"SeverityLabel": [{"Value": "HIGH"}, {"Value": "LOW"}]}, True),
    ({"SeverityLabel": [{"Value": "LOW"}]}, False),
    ({"GeneratorId": [{"Value": "iam-", "Comparison": "PREFIX"}, {"Value": "iam-x", "Comparison": "NOT_EQUALS"}]},
     False),
    ({"ResourceType": [{"Value": "AwsIamUser"}]}, True),  # any resource matches
    ({"ResourceType": [{"Value": "AwsIamUser", "Comparison": "NOT_EQUALS"}]}, False),
    ({"SeverityNormalized": [{"Gte": 50, "Lt": 80}]}, True),
    ({"SeverityNormalized": [{"Gt": 70}]}, False),
    ({"UpdatedAt": [{"Start": "2026-01-01T00:00:00Z", "End": "2026-01-03T00:00:00Z"}]}, True),
    ({"UpdatedAt": [{"DateRange": {"Value": 1, "Unit": "DAYS"}}]}, False),
    ({"ResourceTags": [{"Key": "env", "Value": "dev", "Comparison": "EQUALS"}]}, True),
    ({"ResourceTags": [{"Key": "env", "Value": "dev", "Comparison": "NOT_EQUALS"}]}, False),
    ({"Title": [{"Value": "x", "Comparison": "CONTAINS"}]}, False),
])
def test_filter_table(filters, expected):
    assert compile_filters(filters)(F) is expected


def test_bad_filters_name_the_place():
    with pytest.raises(ValidationError, match="Comparison"):
        compile_filters({"Title": [{"Value": "x", "Comparison": "LIKE"}]})
    with pytest.raises(ValidationError, match="non-empty list"):
        compile_filters({"Title": []})


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_equals_and_not_equals_are_complements(title, value):
    finding = {"Title": title}
    eq = compile_filters({"Title": [{"Value": value, "Comparison": "EQUALS"}]})(finding)
    ne = compile_filters({"Title": [{"Value": value, "Comparison": "NOT_EQUALS"}]})(finding)
    assert eq != ne
    assert compile_filters({"Title": [{"Value": title[:3], "Comparison": "PREFIX"}]})(finding)
