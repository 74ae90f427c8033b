"""The CLI and the WAF store: ``waf put`` saves a local file as the next version; ``--acl NAME`` finds
stored ACLs (the CLI alone may also read a file it is given)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assetguard.cli.main import app
from tests.waf.conftest import make_acl

runner = CliRunner()
NONE = [{"Priority": 0, "Type": "NONE"}]


def _error(result) -> str:  # type: ignore[no-untyped-def]
    """The one-line error, raised or printed (the CLI entry point turns errors into exit 2 + a line)."""
    return f"{result.exception} {result.output}"


def test_put_then_use_by_name(waf_env: None, tmp_path: Path) -> None:
    ipset = tmp_path / "office.json"
    ipset.write_text(json.dumps({"IPSet": {"Name": "office", "IPAddressVersion": "IPV4",
                                           "Addresses": ["203.0.113.0/24"]}}))
    acl = tmp_path / "shop.json"
    acl.write_text(json.dumps(make_acl([{"Name": "office", "Priority": 0, "Action": {"Block": {}}, "Statement": {
        "IPSetReferenceStatement": {"ARN": "office"}}}])))
    refused = runner.invoke(app, ["waf", "put", "shop", str(acl)])
    assert refused.exit_code != 0 and "IPSet 'office' is not in the WAF store" in _error(refused)
    done = runner.invoke(app, ["waf", "put", "office", str(ipset), "--kind", "ip-set"])
    assert done.exit_code == 0 and "version 1" in done.stdout, done.stdout
    done = runner.invoke(app, ["waf", "put", "shop", str(acl)])
    assert done.exit_code == 0 and "saved acl shop version 1" in done.stdout, done.stdout
    done = runner.invoke(app, ["waf", "put", "shop", str(acl)])
    assert "version 2" in done.stdout
    requests = tmp_path / "r.jsonl"
    requests.write_text(json.dumps({"method": "GET", "uri": "/", "client_ip": "203.0.113.5"}) + "\n")
    out = runner.invoke(app, ["waf", "evaluate", "--acl", "shop", "--requests", str(requests)])
    assert out.exit_code == 0 and json.loads(out.stdout)["terminatingRuleId"] == "office", out.stdout
    exported = runner.invoke(app, ["waf", "export", "--acl", "shop"])
    assert json.loads(exported.stdout)["Rules"][0]["Name"] == "office"
    assert runner.invoke(app, ["waf", "validate", "--acl", str(acl)]).exit_code == 0  # files: the CLI only
    bad = runner.invoke(app, ["waf", "put", "../shop", str(acl)])
    assert bad.exit_code != 0 and "1-128" in _error(bad)
    builtin = runner.invoke(app, ["waf", "put", "baseline", str(acl)])
    assert builtin.exit_code != 0 and "built-in" in _error(builtin)
    binary = tmp_path / "g.json"
    binary.write_bytes(b"\xff\xfe\x00\x80garbage")
    garbage = runner.invoke(app, ["waf", "put", "x", str(binary)])
    assert garbage.exit_code != 0 and "not UTF-8" in _error(garbage)
