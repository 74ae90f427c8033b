"""WCU known answers (AWS's per-statement prices) and the ``waf wcu`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assetguard.cli.main import app
from assetguard.waf.engine import load_compiled_acl
from assetguard.waf.managed.loader import GROUPS_DIR
from assetguard.waf.wcu import capacity_report
from tests.waf.conftest import make_acl

NONE = [{"Priority": 0, "Type": "NONE"}]
LOWER = [{"Priority": 0, "Type": "LOWERCASE"}]


def test_baseline_is_1381(baseline) -> None:  # type: ignore[no-untyped-def]
    report = capacity_report(baseline)
    assert report.total == 1381
    assert report.rules == [
        ("AWS-AWSManagedRulesAmazonIpReputationList", 25), ("AWS-AWSManagedRulesAnonymousIpList", 50),
        ("AWS-AWSManagedRulesCommonRuleSet", 700), ("AWS-AWSManagedRulesKnownBadInputsRuleSet", 200),
        ("AWS-AWSManagedRulesLinuxRuleSet", 200), ("AWS-AWSManagedRulesSQLiRuleSet", 200),
        ("AllowApplicationPaths", 6)]


def test_baseline_with_shipped_groups_is_1381() -> None:
    if not (GROUPS_DIR / "AWSManagedRulesCommonRuleSet.json").exists():
        pytest.skip("the detection engineer's managed groups are not in the tree yet")
    assert capacity_report(load_compiled_acl("baseline")).total == 1381


def _bm(position: str, field: dict, tt: list) -> dict:
    return {"ByteMatchStatement": {"SearchString": "abc", "PositionalConstraint": position,
                                   "FieldToMatch": field, "TextTransformations": tt}}


@pytest.mark.parametrize(("statement", "expected"), [
    (_bm("EXACTLY", {"UriPath": {}}, NONE), 2),
    (_bm("STARTS_WITH", {"UriPath": {}}, NONE), 2),
    (_bm("ENDS_WITH", {"UriPath": {}}, NONE), 2),
    (_bm("CONTAINS", {"UriPath": {}}, NONE), 10),
    (_bm("CONTAINS_WORD", {"UriPath": {}}, NONE), 10),
    (_bm("CONTAINS", {"UriPath": {}}, LOWER), 20),
    (_bm("EXACTLY", {"AllQueryArguments": {}}, NONE), 12),
    (_bm("CONTAINS", {"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL"}}, LOWER), 30),
    ({"RegexMatchStatement": {"RegexString": "a+", "FieldToMatch": {"UriPath": {}}, "TextTransformations": NONE}}, 3),
    ({"SqliMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": LOWER}}, 30),
    ({"SqliMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": NONE, "SensitivityLevel": "HIGH"}}, 30),
    ({"XssMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": NONE}}, 40),
    ({"SizeConstraintStatement": {"FieldToMatch": {"QueryString": {}}, "ComparisonOperator": "GT", "Size": 5,
                                  "TextTransformations": NONE}}, 1),
    ({"LabelMatchStatement": {"Scope": "LABEL", "Key": "x"}}, 1),
    ({"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}, 2),
    ({"NotStatement": {"Statement": _bm("CONTAINS", {"UriPath": {}}, NONE)}}, 10),
    ({"AndStatement": {"Statements": [_bm("CONTAINS", {"UriPath": {}}, NONE), _bm("EXACTLY", {"Method": {}}, LOWER)]}}, 22),
])
def test_statement_costs(compile_doc, statement: dict, expected: int) -> None:  # type: ignore[no-untyped-def]
    if next(iter(statement)) in ("SqliMatchStatement", "XssMatchStatement"):
        pytest.importorskip("assetguard.waf.detectors.sqli", reason="the SQLi/XSS detectors are not available")
        pytest.importorskip("assetguard.waf.detectors.xss", reason="the SQLi/XSS detectors are not available")
    acl = compile_doc(make_acl([{"Name": "r", "Priority": 0, "Statement": statement, "Action": {"Count": {}}}]))
    assert acl.capacity == expected


def test_wcu_command_warns_and_fails(waf_env: None, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["waf", "wcu", "baseline"])
    assert result.exit_code == 0, result.stdout
    assert "1,381" in result.stdout and "warning" not in result.stdout

    big = make_acl([{"Name": f"r{i}", "Priority": i, "Statement": {"RegexMatchStatement": {
        "RegexString": "a", "FieldToMatch": {"UriPath": {}}, "TextTransformations": [
            {"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "LOWERCASE"}]}},
        "Action": {"Count": {}}} for i in range(70)])  # 70 x 23 = 1,610
    path = tmp_path / "big.json"
    path.write_text(json.dumps(big))
    result = runner.invoke(app, ["waf", "wcu", str(path)])
    assert result.exit_code == 0 and "warning" in result.stdout and "1,610" in result.stdout
    huge = make_acl([{"Name": f"r{i}", "Priority": i, "Statement": {"RegexMatchStatement": {
        "RegexString": "a", "FieldToMatch": {"UriPath": {}}, "TextTransformations": [
            {"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "LOWERCASE"}]}},
        "Action": {"Count": {}}} for i in range(220)])  # 220 x 23 = 5,060
    path.write_text(json.dumps(huge))
    result = runner.invoke(app, ["waf", "wcu", str(path)])
    assert result.exit_code == 1 and "5,060" in result.stdout
