from __future__ import annotations

import csv
import io
import json

import pytest

from assetguard.core.errors import ValidationError
from assetguard.findings.export import read_asff, render, to_ocsf, to_sarif
from tests.findings.factory import make_finding


def _stored(f):
    return {**f, "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE"}


def test_ocsf_classes():
    compliance = _stored(make_finding("c", compliance="FAILED", Remediation={"Recommendation": {"Text": "fix"}}))
    vuln = _stored(make_finding("v", Vulnerabilities=[{"Id": "CVE-1", "VulnerablePackages": [
        {"Name": "openssl", "Version": "1", "FixedInVersion": "2"}], "Cvss": [{"BaseScore": 9.8}]}]))
    c, v = to_ocsf(compliance), to_ocsf(vuln)
    assert (c["class_uid"], c["type_uid"], c["compliance"]["status"]) == (2003, 200301, "Fail")
    assert c["severity_id"] == 4 and c["remediation"]["desc"] == "fix"
    assert (v["class_uid"], v["vulnerabilities"][0]["cve"]["uid"]) == (2002, "CVE-1")
    assert v["vulnerabilities"][0]["affected_packages"][0]["fixed_in_version"] == "2"


def test_sarif_rules_and_results():
    doc = to_sarif([_stored(make_finding("a")), _stored(make_finding("b", severity="LOW")),
                    {**_stored(make_finding("c")), "Workflow": {"Status": "SUPPRESSED"}}])
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["restricted-ssh"]
    assert [r["level"] for r in run["results"]] == ["error", "note", "error"]
    assert "suppressions" in run["results"][2]


def test_csv_and_asff_round_trip():
    findings = [_stored(make_finding("a")), _stored(make_finding("b"))]
    rows = list(csv.DictReader(io.StringIO(render(findings, "csv"))))
    assert [r["Id"] for r in rows] == ["a", "b"] and rows[0]["SeverityLabel"] == "HIGH"
    assert read_asff(render(findings, "asff")) == findings
    assert read_asff("\n".join(json.dumps(f) for f in findings)) == findings
    with pytest.raises(ValidationError, match="input:2"):
        read_asff('{"a": 1}\nnot json')
    with pytest.raises(ValidationError, match="valid formats"):
        render(findings, "xml")
