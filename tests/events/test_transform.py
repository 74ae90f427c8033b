"""Input path and input transformer, with AWS's documented examples and quirks."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from assetguard.core.errors import ValidationError
from assetguard.events.rules import RuleTarget
from assetguard.events.transform import check_paths_map, compile_input, parse_json_path

# The EC2 example event of the EventBridge input-transformer documentation.
EVENT: dict[str, Any] = {
    "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "account": "123456789012",
    "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING"},
}
PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}


def transform(template: str, paths: dict[str, str] | None = None) -> Any:
    spec = compile_input(paths_map=PATHS if paths is None else paths, template=template)
    return spec.apply(EVENT, rule_name="example", rule_arn="arn:aws:events:us-east-2:123456789012:rule/example")


@pytest.mark.parametrize(("template", "expected"), [
    ('"instance <instance> is in <state>"', "instance i-0123456789 is in RUNNING"),
    ('"instance \\"<instance>\\" is in <state>"', 'instance "i-0123456789" is in RUNNING'),
    ('{"instance" : <instance>, "state": <state>}', {"instance": "i-0123456789", "state": "RUNNING"}),
    ('{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}',
     {"instance": "i-0123456789", "state": "RUNNING", "instanceStatus": 'instance "i-0123456789" is in RUNNING'}),
    ('{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}',
     {"instance": "i-0123456789", "state": [9, "RUNNING", True], "Transformed": "Yes"}),
    ('"<aws.events.rule-name> triggered"', "example triggered"),
])
def test_documented_templates(template: str, expected: Any) -> None:
    assert transform(template) == expected


def test_reserved_variables_in_json() -> None:
    out = transform('{"instance": <instance>, "ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, '
                    '"originalEvent": <aws.events.event>, "raw": <aws.events.event.json>}')
    assert out["ruleArn"] == "arn:aws:events:us-east-2:123456789012:rule/example"
    assert out["ruleName"] == "example"
    assert out["originalEvent"] == EVENT
    assert isinstance(out["raw"], str) and '"instance-id":"i-0123456789"' in out["raw"]


def test_values_are_not_escaped_inside_strings_quirk() -> None:
    # The CloudWatch Logs example: a quoted value inside a JSON string breaks the JSON, as on AWS;
    # the target then receives the rendered text.
    out = transform('{"timestamp" : <timestamp>, "message": "instance "<instance>" is in <state>"}')
    assert out == '{"timestamp" : "2015-11-11T21:29:54Z", "message": "instance ""i-0123456789"" is in RUNNING"}'


def test_missing_path_and_non_string_values() -> None:
    paths = {"nope": "$.detail.nope", "res": "$.resources", "first": "$.resources[0]"}
    assert transform('{"a": <nope>, "b": "x<nope>y", "r": <res>, "f": "<first>"}', paths) == {
        "a": None, "b": "xy", "r": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "f": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}
    # Not escaped inside a string template: the quotes of the JSON array end the string early, so the
    # result is not one JSON string and the target gets the rendered text as is.
    assert transform('"count <res>"', {"res": "$.resources"}) == \
        '"count ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"]"'


def test_plain_text_template_and_unknown_placeholder() -> None:
    assert transform("state=<state> <unknown>") == "state=RUNNING <unknown>"


def test_input_path_and_constant() -> None:
    assert compile_input(input_path="$.detail").apply(EVENT, rule_name="r", rule_arn="a") == EVENT["detail"]
    assert compile_input(input_path="$.detail['instance-id']").apply(EVENT, rule_name="r", rule_arn="a") == \
        "i-0123456789"
    assert compile_input(input_path="$.nope").apply(EVENT, rule_name="r", rule_arn="a") is None
    assert compile_input(input={"k": 1}).apply(EVENT, rule_name="r", rule_arn="a") == {"k": 1}
    assert compile_input().apply(EVENT, rule_name="r", rule_arn="a") == EVENT


def test_paths_map_limits_and_reserved_names() -> None:
    check_paths_map({f"v{i}": "$.detail" for i in range(100)})
    with pytest.raises(ValidationError, match="at most 100"):
        check_paths_map({f"v{i}": "$.detail" for i in range(101)})
    with pytest.raises(ValidationError, match="reserved"):
        check_paths_map({"aws.events.rule-name": "$.detail"})
    with pytest.raises(ValidationError):
        parse_json_path("detail.state")
    with pytest.raises(PydanticValidationError):
        RuleTarget.model_validate({"id": "t", "type": "log", "input_path": "$.a",
                                   "input_transformer": {"input_template": "x"}})
    target = RuleTarget.model_validate({"Id": "t", "Type": "log", "InputTransformer": {
        "InputPathsMap": {"s": "$.source"}, "InputTemplate": '"<s>"'}})
    assert target.input_transformer is not None and target.input_transformer.input_paths_map == {"s": "$.source"}
