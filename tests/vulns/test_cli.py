"""``assetguard vulndb`` and ``assetguard scan vulns``, including the JSON output contract."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assetguard.cli.main import app
from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform
from assetguard.vulns.database import AdvisoryDatabase

from .conftest import deb, host, pypi

CONTRACT_KEYS = ["package", "version", "ecosystem", "purl", "id", "aliases", "severity", "cvss", "fixed"]
ARN = "urn:assetguard:host:web-1"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_vulndb_import_fixtures_and_stats(cli_env: Platform) -> None:
    code, out, _ = run("vulndb", "import", "--fixtures")
    assert code == 0, out
    assert "added 20" in out and "withdrawn 1" in out
    code, out, _ = run("vulndb", "import", "--fixtures")
    assert "unchanged 20" in out
    code, out, _ = run("vulndb", "stats")
    assert json.loads(out)["advisories"] == 20
    code, out, _ = run("vulndb", "show", "CVE-2099-1001")
    assert json.loads(out)["id"] == "DEBIAN-CVE-2099-1001"


def test_vulndb_import_reports_bad_record_and_exits_1(cli_env: Platform, tmp_path: Path) -> None:
    src = tmp_path / "osv"
    src.mkdir()
    (src / "good.json").write_text(json.dumps({"id": "G-1", "modified": "2026-01-01T00:00:00Z"}))
    (src / "bad.json").write_text(json.dumps({"id": "B-1", "modified": "2026-01-01T00:00:00Z",
                                              "affected": [{"package": {"ecosystem": "PyPI", "name": "x"},
                                                            "ranges": [{"type": "ECOSYSTEM", "events": [
                                                                {"introduced": "0"}, {"fixed": "1.0 beta!"}]}]}]}))
    code, out, err = run("vulndb", "import", str(src))
    assert code == 1
    assert "added 1" in out
    assert "bad.json" in err and "affected[0].ranges[0].events[1].fixed" in err


def user_error(*args: str) -> str:
    """The one ``error:`` line a command printed for a user's mistake (exit code 2)."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2 and result.stderr.startswith("error: "), (result.exception, result.output)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_vulndb_import_missing_path_is_a_user_error(cli_env: Platform, tmp_path: Path) -> None:
    assert "no such file" in str(user_error("vulndb", "import", str(tmp_path / "nope")))
    assert "exactly one" in str(user_error("vulndb", "import"))


def _seed(platform: Platform) -> None:
    AdvisoryDatabase(platform).import_source(Path(__file__).resolve().parents[2] / "src/assetguard/vulns/fixtures")
    InventoryService(platform).apply_collection("host", [host(ARN, [
        deb("libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"), pypi("urllib3", "2.0.6"),
        pypi("requests", "2.31.0")])])


def test_scan_vulns_json_contract(cli_env: Platform) -> None:
    _seed(cli_env)
    code, out, _ = run("scan", "vulns", "--asset", ARN, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert isinstance(rows, list)
    assert all(list(r) == CONTRACT_KEYS for r in rows)
    assert rows == [
        {"package": "libssl3", "version": "3.0.11-1~deb12u1", "ecosystem": "Debian:12",
         "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12", "id": "DEBIAN-CVE-2099-1001",
         "aliases": ["CVE-2099-1001"], "severity": "CRITICAL", "cvss": 9.8, "fixed": "3.0.11-1~deb12u2"},
        {"package": "urllib3", "version": "2.0.6", "ecosystem": "PyPI", "purl": "pkg:pypi/urllib3@2.0.6",
         "id": "GHSA-4444-5555-6666", "aliases": ["CVE-2099-2002", "PYSEC-2099-12"], "severity": "MEDIUM",
         "cvss": 5.0, "fixed": "2.0.7"},
    ]


def test_scan_vulns_empty_result_is_empty_array(cli_env: Platform) -> None:
    code, out, _ = run("scan", "vulns", "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_scan_vulns_fail_on(cli_env: Platform) -> None:
    _seed(cli_env)
    assert run("scan", "vulns", "--format", "json", "--fail-on", "CRITICAL")[0] == 1
    _seed(cli_env)
    InventoryService(cli_env).apply_collection("host", [host(ARN, [pypi("urllib3", "2.0.6")])])
    assert run("scan", "vulns", "--asset", ARN, "--format", "json", "--fail-on", "high")[0] == 0
    assert run("scan", "vulns", "--asset", ARN, "--format", "json", "--fail-on", "MEDIUM")[0] == 1
    assert "--fail-on must be one of" in str(user_error("scan", "vulns", "--fail-on", "SEVERE"))
    assert "--format must be one of" in str(user_error("scan", "vulns", "--format", "xml"))
    assert "at most one" in str(user_error("scan", "vulns", "--asset", ARN, "--host"))


def test_scan_vulns_other_formats(cli_env: Platform) -> None:
    _seed(cli_env)
    code, out, _ = run("scan", "vulns", "--asset", ARN, "--format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"DEBIAN-CVE-2099-1001", "GHSA-4444-5555-6666"}
    assert sarif["runs"][0]["results"][0]["level"] == "error"
    code, out, _ = run("scan", "vulns", "--asset", ARN, "--format", "cyclonedx-vex")
    vex = json.loads(out)
    assert vex["bomFormat"] == "CycloneDX"
    ssl = next(v for v in vex["vulnerabilities"] if v["id"] == "DEBIAN-CVE-2099-1001")
    assert ssl["ratings"][0] == {"severity": "critical", "score": 9.8, "method": "CVSSv31",
                                 "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
    assert ssl["affects"][0]["ref"].startswith("pkg:deb/debian/libssl3@")
    code, out, _ = run("scan", "vulns", "--asset", ARN, "--format", "asff")
    docs = json.loads(out)["Findings"]
    assert {d["Vulnerabilities"][0]["Id"] for d in docs} == {"CVE-2099-1001", "CVE-2099-2002"}
    code, out, _ = run("scan", "vulns", "--asset", ARN)
    assert code == 0 and "web-1: 2" in out and "libssl3" in out


def test_commit_only_advisories_are_reported_on_import_and_scan(cli_env: Platform, tmp_path: Path) -> None:
    src = tmp_path / "osv"
    src.mkdir()
    (src / "git.json").write_text(json.dumps({
        "id": "OSV-2099-77", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
                      "ranges": [{"type": "GIT", "repo": "https://example.invalid/demo.git",
                                  "events": [{"introduced": "3f6a1c0"}, {"fixed": "9b2e4d1"}]}]}]}))
    code, out, err = run("vulndb", "import", str(src))
    assert code == 0 and "added 1" in out
    assert "GIT commit ranges" in err and "OSV-2099-77: PyPI/demo" in err
    bom = tmp_path / "bom.cdx.json"
    bom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
        {"type": "library", "name": "demo", "version": "1.0", "purl": "pkg:pypi/demo@1.0"}]}))
    code, out, err = run("scan", "vulns", "--sbom", str(bom), "--format", "json")
    assert code == 0 and json.loads(out) == []          # the contract output is unchanged
    assert "cannot be decided on an installed version" in err and "OSV-2099-77: PyPI/demo@1.0" in err
