"""Web ACL documents: validation errors name the JSON path; export round trips losslessly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from assetguard.cli.main import app
from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.waf.documents import load_acl_document
from assetguard.waf.engine import load_compiled_acl
from assetguard.waf.request import HttpRequest
from tests.waf.conftest import make_acl

NONE = [{"Priority": 0, "Type": "NONE"}]


def _rule(statement: dict, action: dict | None = None, name: str = "r", priority: int = 0) -> dict:
    return {"Name": name, "Priority": priority, "Statement": statement, "Action": action or {"Block": {}}}


def _uri_bm(text: str, position: str = "STARTS_WITH") -> dict:
    return {"ByteMatchStatement": {"SearchString": text, "PositionalConstraint": position,
                                   "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}


@pytest.mark.parametrize(("mutate", "path", "message"), [
    (lambda d: d["Rules"][0]["Statement"]["ByteMatchStatement"].update(PositionalConstraint="NEAR"),
     "Rules[0].Statement.ByteMatchStatement.PositionalConstraint", "PositionalConstraint"),
    (lambda d: d["Rules"][0]["Statement"]["ByteMatchStatement"]["TextTransformations"][0].update(Type="ROT13"),
     "Rules[0].Statement.ByteMatchStatement.TextTransformations[0].Type", "ROT13"),
    (lambda d: d["Rules"][0].update(Action={"Captcha": {}}), "Rules[0].Action.Captcha", "not supported"),
    (lambda d: d["Rules"][0].update(Action={"Challenge": {}}), "Rules[0].Action.Challenge", "not supported"),
    (lambda d: d["Rules"][0].pop("VisibilityConfig"), "Rules[0].VisibilityConfig", "object"),
    (lambda d: d.update(Rulez=[]), "Rulez", "unknown key"),
    (lambda d: d["Rules"].append(dict(d["Rules"][0], Name="other")), "Rules[1].Priority", "duplicate"),
    (lambda d: d["Rules"][0]["Statement"]["ByteMatchStatement"].update(FieldToMatch={"Headers": {
        "MatchPattern": {"All": {}}, "MatchScope": "ALL"}}),
     "Rules[0].Statement.ByteMatchStatement.FieldToMatch.Headers.OversizeHandling", "required"),
    (lambda d: d["Rules"][0].update(Statement={"RegexMatchStatement": {"RegexString": "(a)\\1",
                                                "FieldToMatch": {"UriPath": {}}, "TextTransformations": NONE}}),
     "Rules[0].Statement.RegexMatchStatement.RegexString", "backreferences"),
    (lambda d: d["Rules"][0].update(Statement={"RateBasedStatement": {"Limit": 5, "AggregateKeyType": "IP"}}),
     "Rules[0].Statement.RateBasedStatement.Limit", "Limit"),
    (lambda d: d["Rules"][0].update(Statement={"RateBasedStatement": {"Limit": 50, "AggregateKeyType": "IP",
                                                                      "EvaluationWindowSec": 90}}),
     "Rules[0].Statement.RateBasedStatement.EvaluationWindowSec", "60, 120, 300 or 600"),
    (lambda d: d["Rules"][0].update(Statement={"NotStatement": {"Statement": {"ManagedRuleGroupStatement": {
        "VendorName": "AWS", "Name": "AWSManagedRulesSQLiRuleSet"}}}}),
     "Rules[0].Statement.NotStatement.Statement.ManagedRuleGroupStatement", "top-level"),
    (lambda d: d["Rules"][0]["Action"].update(Block={"CustomResponse": {"ResponseCode": 429,
                                                                        "CustomResponseBodyKey": "nope"}}),
     "Rules[0].Action.Block.CustomResponse.CustomResponseBodyKey", "nope"),
    (lambda d: d.update(DefaultAction={"Count": {}}), "DefaultAction.Count", "unknown action"),
])
def test_errors_name_the_json_path(tmp_path: Path, mutate, path: str, message: str) -> None:  # type: ignore[no-untyped-def]
    doc = make_acl([_rule(_uri_bm("/x"))])
    mutate(doc)
    file = tmp_path / "acl.json"
    file.write_text(json.dumps(doc))
    with pytest.raises(ValidationError) as info:
        load_compiled_acl(file)
    assert info.value.where == f"{file} ({path})"
    assert message in info.value.message


def test_yaml_acl_and_export_round_trip(tmp_path: Path, waf_env: None) -> None:
    doc = make_acl([_rule(_uri_bm("/admin"), {"Block": {"CustomResponse": {
        "ResponseCode": 429, "CustomResponseBodyKey": "slow", "ResponseHeaders": [{"Name": "Retry-After", "Value": "5"}]}}}),
        {"Name": "ip", "Priority": 3, "Action": {"Count": {}}, "RuleLabels": [{"Name": "office"}],
         "Statement": {"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/office/1a2b"}}}],
        CustomResponseBodies={"slow": {"ContentType": "APPLICATION_JSON", "Content": "{\"error\": \"slow down\"}"}},
        Description="é and ✓ survive")
    (tmp_path / "acl.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    (tmp_path / "office.json").write_text(json.dumps({"IPSet": {
        "Name": "office", "IPAddressVersion": "IPV4", "Addresses": ["192.0.2.0/24"],
        "ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/office/1a2b"}}))
    out = tmp_path / "exported.json"
    result = CliRunner().invoke(app, ["waf", "export", "--acl", str(tmp_path / "acl.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.stdout
    exported = json.loads(out.read_text())
    assert exported == doc and list(exported) == list(doc)
    result = CliRunner().invoke(app, ["waf", "export", "--acl", str(out)])
    assert json.loads(result.stdout) == doc
    acl = load_compiled_acl(out)
    verdict = acl.evaluate(HttpRequest("GET", "/admin/x", client_ip="192.0.2.7"))
    assert (verdict.action, verdict.response_code, verdict.response_body) == ("BLOCK", 429, '{"error": "slow down"}')
    assert verdict.response_headers == (("Retry-After", "5"),)
    assert verdict.response_content_type == "application/json"
    verdict = acl.evaluate(HttpRequest("GET", "/ok", client_ip="192.0.2.7"))
    assert verdict.action == "ALLOW" and verdict.labels == ("awswaf:000000000000:webacl:test-acl:office",)
    assert verdict.non_terminating == (("ip", "COUNT"),)


def test_builtin_export_equals_shipped_file(waf_env: None) -> None:
    result = CliRunner().invoke(app, ["waf", "export", "--acl", "baseline"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == load_acl_document("baseline")


def test_unknown_references_are_clear(tmp_path: Path) -> None:
    doc = make_acl([_rule({"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/nope/1"}})])
    (tmp_path / "acl.json").write_text(json.dumps(doc))
    with pytest.raises(NotFoundError, match="IPSet .*nope.* is not defined"):
        load_compiled_acl(tmp_path / "acl.json")
    with pytest.raises(NotFoundError, match="built-ins"):
        load_compiled_acl("no-such-acl")


def test_geo_without_database_says_how_to_configure(tmp_path: Path) -> None:
    from assetguard.core.errors import ConfigError

    doc = make_acl([_rule({"GeoMatchStatement": {"CountryCodes": ["FR"]}})])
    (tmp_path / "acl.json").write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="geoip_path"):
        load_compiled_acl(tmp_path / "acl.json")
