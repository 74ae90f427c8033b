"""The offline contract other tools rely on: ``assetguard waf evaluate --acl ACL --requests FILE.jsonl``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from typer.testing import CliRunner

from assetguard.cli.main import app
from assetguard.waf.request import HttpRequest
from tests.conftest import CORPORA

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def test_evaluate_jsonl_writes_one_line_per_request(waf_env: None, tmp_path: Path) -> None:
    lines = [
        {"method": "GET", "uri": "/user/7?id=1", "headers": [["User-Agent", "curl/8"], ["Host", "x"]],
         "client_ip": "198.51.100.4"},
        {"method": "GET", "uri": "/user/7", "headers": [["Host", "x"]]},  # no User-Agent
        {"method": "POST", "uri": "/content", "headers": [["User-Agent", "a"]], "body": "hello"},
        {"method": "GET", "uri": "/admin", "headers": [["User-Agent", "a"]]},
        {"method": "GET", "uri": "/was?q=1%20UNION%20%20SELECT%201", "headers": [["User-Agent", "a"]]},
        {"method": "GET", "uri": "/was", "headers": [["User-Agent", "a"]], "client_ip": "203.0.113.9"},
        {"method": "POST", "uri": "/content", "headers": [["User-Agent", "a"]],
         "body_base64": base64.b64encode(b"x" * 9000).decode()},
    ]
    path = tmp_path / "req.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    code, out = _run("waf", "evaluate", "--acl", "baseline", "--requests", str(path))
    assert code == 0, out
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(lines)
    assert all(set(r) == {"action", "terminatingRuleId", "labels"} for r in results)
    assert results[0] == {"action": "ALLOW", "terminatingRuleId": "AllowApplicationPaths", "labels": []}
    assert results[1] == {"action": "BLOCK", "terminatingRuleId": "AWS-AWSManagedRulesCommonRuleSet",
                          "labels": ["awswaf:managed:aws:core-rule-set:NoUserAgent_Header"]}
    assert results[2]["action"] == "ALLOW"
    assert results[3] == {"action": "BLOCK", "terminatingRuleId": "Default_Action", "labels": []}
    assert results[4]["terminatingRuleId"] == "AWS-AWSManagedRulesSQLiRuleSet"
    assert results[5]["terminatingRuleId"] == "AWS-AWSManagedRulesAmazonIpReputationList"
    assert results[6]["labels"] == ["awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"]


def test_evaluate_reads_stdin_and_names_bad_lines(waf_env: None) -> None:
    good = json.dumps({"method": "GET", "uri": "/was", "headers": [["User-Agent", "a"]]})
    result = runner.invoke(app, ["waf", "evaluate", "--acl", "baseline", "--requests", "-"], input=good + "\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["action"] == "ALLOW"
    result = runner.invoke(app, ["waf", "evaluate", "--acl", "baseline", "--requests", "-"],
                           input=good + "\n{\"headers\": 5}\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: stdin:2"), result.stderr


def test_evaluate_har(waf_env: None, tmp_path: Path) -> None:
    har = {"log": {"version": "1.2", "entries": [
        {"request": {"method": "GET", "url": "https://example.com/user/1?x=1", "httpVersion": "HTTP/2",
                     "headers": [{"name": ":authority", "value": "example.com"},
                                 {"name": "user-agent", "value": "Mozilla/5.0"}]}},
        {"request": {"method": "POST", "url": "http://example.com/other", "headers": [
            {"name": "User-Agent", "value": "x"}], "postData": {"mimeType": "text/plain", "text": "hi"}}},
    ]}}
    path = tmp_path / "traffic.har"
    path.write_text(json.dumps(har))
    code, out = _run("waf", "evaluate", "--acl", "baseline", "--requests", str(path), "--with-id")
    assert code == 0, out
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in results] == ["har:0", "har:1"]
    assert [r["action"] for r in results] == ["ALLOW", "BLOCK"]


CRS = CORPORA / "crs-regression" / "tests"


def test_evaluate_crs_regression_yaml(waf_env: None) -> None:
    path = CRS / "REQUEST-920-PROTOCOL-ENFORCEMENT" / "920330.yaml"
    code, out = _run("waf", "evaluate", "--acl", "baseline", "--requests", str(path), "--with-id")
    assert code == 0, out
    results = [json.loads(line) for line in out.splitlines()]
    assert results[0]["id"] == "920330-1"
    # test 1 sends an empty User-Agent: the (fixture) CommonRuleSet blocks it; test 2 has one.
    assert results[0]["labels"] == ["awswaf:managed:aws:core-rule-set:NoUserAgent_Header"]
    assert results[1]["action"] == "BLOCK" and results[1]["terminatingRuleId"] == "Default_Action"


def test_from_jsonl_record_round_trip() -> None:
    record = {"method": "PUT", "uri": "/a?b=%C3%A9", "headers": [["X", "é"]], "body_base64": "AAEC",
              "client_ip": "2001:db8::1"}
    req = HttpRequest.from_jsonl_record(record)
    assert req.body == b"\x00\x01\x02" and req.client_ip == "2001:db8::1"
    assert req.headers == [("X", "é".encode().decode("latin-1"))]
    again = HttpRequest.from_jsonl_record(req.to_record())
    assert (again.method, again.uri, again.body, again.client_ip) == (req.method, req.uri, req.body, req.client_ip)
