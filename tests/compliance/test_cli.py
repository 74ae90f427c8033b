"""``assetguard scan --source host``, ``compliance`` and ``findings`` commands end to end."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assetguard.cli.main import app
from tests.compliance.hostroot import hardened, weak

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="fixture ownership checks need root (chown)")


@pytest.fixture
def cli_env(platform, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSETGUARD_DATABASE_URL", platform.settings.resolved_database_url)
    monkeypatch.setenv("ASSETGUARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSETGUARD_SECRET_KEY", "test-secret-key-0123456789abcdef")
    monkeypatch.delenv("ASSETGUARD_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return platform


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_scan_host_gates_on_severity_and_formats(cli_env, tmp_path: Path) -> None:
    root = weak(tmp_path / "weak")
    code, out, _ = run("scan", "--source", "host", "--root", str(root), "--pack", "kisa-unix", "--format", "json",
                       "--fail-on", "CRITICAL")
    assert code == 1  # linux-empty-passwords is CRITICAL
    report = json.loads(out)
    failed = {r["rule"] for r in report["results"] if r["complianceType"] == "NON_COMPLIANT"}
    assert {"linux-ssh-root-login-disabled", "linux-empty-passwords", "linux-uid-zero-only-root"} <= failed
    code, out, _ = run("scan", "--source", "host", "--root", str(root), "--pack", "kisa-unix", "--format", "sarif")
    assert code == 0
    sarif = json.loads(out)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == failed
    code, out, _ = run("scan", "--source", "host", "--root", str(root), "--format", "ocsf")
    assert {e["class_uid"] for e in json.loads(out)} == {2003}
    out_file = tmp_path / "r.html"
    code, _, _ = run("scan", "--source", "host", "--root", str(root), "--format", "html", "-o", str(out_file))
    assert code == 0 and "linux-ssh-root-login-disabled" in out_file.read_text()

    # The scan stored findings in the hub: list, show, update, export.
    code, out, _ = run("findings", "list", "--min-severity", "HIGH", "--json")
    listed = json.loads(out)
    assert {f["GeneratorId"] for f in listed} >= {"linux-ssh-root-login-disabled", "linux-empty-passwords"}
    fid = next(f["Id"] for f in listed if f["GeneratorId"] == "linux-ssh-root-login-disabled")
    code, out, _ = run("findings", "show", fid)
    assert code == 0 and "PermitRootLogin" in out
    code, out, _ = run("findings", "update", fid, "--status", "suppressed", "--note", "bastion only", "--json")
    assert json.loads(out)["ProcessedFindings"][0]["Id"] == fid
    code, out, _ = run("findings", "show", fid, "--json")
    assert json.loads(out)["Workflow"]["Status"] == "SUPPRESSED"
    code, out, _ = run("findings", "export", "--format", "csv")
    assert out.splitlines()[0].startswith("Id,ProductArn,GeneratorId")
    code, out, _ = run("findings", "insight", "--group-by", "GeneratorId", "--json")
    assert all(row["Count"] == 1 for row in json.loads(out))

    # A hardened host passes the gate.
    code, _, _ = run("scan", "--source", "host", "--root", str(hardened(tmp_path / "good")), "--pack", "kisa-unix",
                     "--fail-on", "LOW", "--format", "json")
    assert code == 0


def test_usage_errors_exit_2_without_traceback(cli_env, tmp_path: Path) -> None:
    import subprocess
    import sys

    exe = str(Path(sys.executable).parent / "assetguard")
    proc = subprocess.run([exe, "scan", "--source", "gcp"], env={**os.environ}, capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == 2
    assert "--source" in proc.stderr and "Traceback" not in proc.stderr
    code, _, err = run("scan", "--source", "host", "--root", str(tmp_path), "--pack", "nope")
    assert code == 2 and err.startswith("error: ") and "valid packs" in err and len(err.strip().splitlines()) == 1


def test_findings_import_file_and_compliance_cli(cli_env, tmp_path: Path) -> None:
    from tests.findings.factory import make_finding

    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(make_finding(f"x{i}")) for i in range(3)) + "\n"
                    + json.dumps(make_finding("bad", Title="t" * 300)) + "\n")
    code, out, _ = run("findings", "import", str(path), "--json")
    result = json.loads(out)
    assert result["SuccessCount"] == 3 and result["FailedFindings"][0]["Id"] == "bad"
    code, out, _ = run("compliance", "rules", "--pack", "kisa-unix", "--json")
    assert all(r["provider"] == "linux" for r in json.loads(out))
    code, out, _ = run("compliance", "remediation", "set", "restricted-ssh", "--approval", "auto")
    assert code == 0
    code, out, _ = run("compliance", "remediation", "list", "--json")
    assert next(c for c in json.loads(out) if c["rule_id"] == "restricted-ssh")["approval"] == "auto"
    code, out, _ = run("compliance", "evaluate", "--pack", "baseline", "--json")
    assert code == 0 and "summary" in json.loads(out)


def test_scan_aws_on_moto(cli_env, monkeypatch) -> None:
    import boto3
    from moto import mock_aws

    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        sg = ec2.create_security_group(GroupName="open", Description="x")["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        code, out, _ = run("scan", "--source", "aws", "--format", "json", "--fail-on", "HIGH")
        assert code == 1
        results = json.loads(out)["results"]
        failing = {(r["rule"], r["resourceId"]) for r in results if r["complianceType"] == "NON_COMPLIANT"}
        assert ("restricted-common-ports", sg) in failing
        assert ("iam-password-policy", "123456789012") in failing
        assert not any(r["rule"] == "restricted-ssh" and r["resourceId"] == sg
                       and r["complianceType"] == "NON_COMPLIANT" for r in results)
        code, out, _ = run("scan", "--source", "aws", "--format", "asff")
        asff = json.loads(out)["Findings"]
        assert all(f["Compliance"]["Status"] == "FAILED" for f in asff) and len(asff) == len(failing)
