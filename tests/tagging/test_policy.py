"""Tag policies: AWS Organizations syntax, capitalisation, wildcards, required keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetguard.core.errors import ValidationError
from assetguard.tagging.policy import evaluate, is_enforced, parse_policy, policy_resource_type

POLICY = {
    "tags": {
        "costcenter": {"tag_key": {"@@assign": "CostCenter"}, "tag_value": {"@@assign": ["100", "200", "300*"]},
                       "enforced_for": {"@@assign": ["ec2:instance", "secretsmanager:*"]}},
        "owner": {"tag_key": {"@@assign": "Owner"}},
    },
    "required": {"*": ["Owner"], "AWS::EC2::Instance": ["CostCenter"]},
}


def test_compliant_resource_has_no_problems() -> None:
    assert evaluate(parse_policy(POLICY), "AWS::EC2::Instance", {"CostCenter": "300-7", "Owner": "x"}) == []


def test_capitalisation_value_and_missing_are_named() -> None:
    problems = evaluate(parse_policy(POLICY), "AWS::EC2::Instance", {"costcenter": "999"})
    kinds = {(p.key, p.kind) for p in problems}
    assert kinds == {("CostCenter", "capitalization"), ("CostCenter", "value"), ("Owner", "missing")}
    assert any("'costcenter' must be written 'CostCenter'" in p.message for p in problems)


def test_required_is_per_resource_type() -> None:
    problems = evaluate(parse_policy(POLICY), "AWS::S3::Bucket", {"Owner": "x"})
    assert problems == []


@pytest.mark.parametrize(("doc", "where"), [
    ({"tags": {"a": {"tag_key": "A"}}}, "policy.tags.a.tag_key"),
    ({"tags": {"a": {"tag_key": {"@@assign": "B"}}}}, "policy.tags.a.tag_key"),
    ({"tags": {"a": {"tag_value": {"@@assign": ["x*y*"]}}}}, "policy.tags.a.tag_value[0]"),
    ({"tags": {"a": {"enforced_for": {"@@assign": ["ec2"]}}}}, "policy.tags.a.enforced_for.@@assign"),
    ({"tagz": {}}, "policy"),
    ({"required": {"AWS::EC2::Instance": "Owner"}}, "policy.required.AWS::EC2::Instance"),
])
def test_invalid_policies_name_the_path(doc: dict[str, object], where: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_policy(doc)
    assert info.value.where == where


def test_resource_type_names_and_enforcement() -> None:
    assert policy_resource_type("AWS::EC2::SecurityGroup") == "ec2:security-group"
    assert policy_resource_type("AWS::S3::Bucket") == "s3:bucket"
    rule = parse_policy(POLICY).rules["costcenter"]
    assert is_enforced(rule, "AWS::EC2::Instance")
    assert is_enforced(rule, "AWS::SecretsManager::Secret")
    assert not is_enforced(rule, "AWS::S3::Bucket")


@given(st.text(max_size=20))
def test_wildcard_value_matches_prefix(suffix: str) -> None:
    rule = parse_policy(POLICY).rules["costcenter"]
    assert rule.value_allowed("300" + suffix)
    assert not rule.value_allowed("4" + suffix)
