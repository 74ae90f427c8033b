"""The console Findings page: filters, chart, detail, bulk workflow with CSRF."""

from __future__ import annotations

import re

from assetguard.findings.hub import FindingsHub
from tests.findings.factory import PRODUCT, make_finding


def _seed(platform):
    FindingsHub(platform).batch_import([
        make_finding("a", severity="HIGH", Remediation={"Recommendation": {"Text": "close port 22"}}),
        make_finding("b", severity="LOW"), make_finding("c", severity="CRITICAL")])


def test_list_filter_chart_and_detail(client, platform, console_login):
    _seed(platform)
    console_login("viewer")
    html = client.get("/console/findings").text
    assert re.findall(r'<tr data-id="([^"]+)"', html) and '<figure class="chart"' in html
    assert set(re.findall(r'<tr data-id="([^"]+)"', html)) == {"a", "b", "c"}
    only_high = client.get("/console/findings", params={"severity": "HIGH"}).text
    assert re.findall(r'<tr data-id="([^"]+)"', only_high) == ["a"]
    detail = client.get("/console/findings/detail", params={"id": "a"}).text
    assert "close port 22" in detail and "arn:aws:ec2:us-east-1:123456789012:security-group/a" in detail
    assert client.get("/console/findings/detail", params={"id": "nope"}).status_code == 404


DATA = {"finding": [f"{PRODUCT}|a", f"{PRODUCT}|b"], "status": "SUPPRESSED"}


def test_bulk_workflow_refuses_a_viewer(client, platform, console_login):
    _seed(platform)
    csrf = console_login("viewer")
    resp = client.post("/console/findings/workflow", data={**DATA, "csrf_token": csrf}, follow_redirects=False)
    assert resp.status_code == 403
    assert FindingsHub(platform).get(PRODUCT, "a")["Workflow"]["Status"] == "NEW"


def test_bulk_workflow_needs_operator_and_csrf(client, platform, console_login):
    _seed(platform)
    data = dict(DATA)
    csrf = console_login("operator")
    forged = client.post("/console/findings/workflow", data={**data, "csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    ok = client.post("/console/findings/workflow", data={**data, "csrf_token": csrf, "note": "accepted"},
                     follow_redirects=False)
    assert ok.status_code == 303 and "updated=2" in ok.headers["location"]
    hub = FindingsHub(platform)
    assert hub.get(PRODUCT, "a")["Workflow"]["Status"] == "SUPPRESSED"
    assert hub.get(PRODUCT, "c")["Workflow"]["Status"] == "NEW"
    audit = platform.audit.query(action="findings.update")
    assert {r["actor"] for r in audit} == {a for a in {r["actor"] for r in audit} if a.startswith("console-operator")}


def test_operator_approves_a_pending_runbook_from_the_finding(client, platform, console_login, tmp_path):
    import os

    import pytest

    if os.geteuid() != 0:
        pytest.skip("fixture ownership checks need root")
    from assetguard.auth.principal import SYSTEM
    from assetguard.compliance.evaluator import ComplianceEvaluator
    from assetguard.compliance.hostfacts import gather_host_facts
    from assetguard.compliance.remediation import RemediationService
    from assetguard.inventory.service import InventoryService
    from tests.compliance.hostroot import weak

    root = weak(tmp_path / "root")
    item = {"resourceType": "AssetGuard::Host::Linux", "resourceId": "m1", "arn": "urn:assetguard:host:m1",
            "configuration": {"hostSecurity": gather_host_facts(root)},
            "supplementaryConfiguration": {"collectedFrom": str(root)}}
    InventoryService(platform).apply_collection("host", [item])
    ComplianceEvaluator(platform).evaluate(rule_ids=["linux-ssh-root-login-disabled"])
    pending = RemediationService(platform).request("linux-ssh-root-login-disabled", item["arn"], actor=SYSTEM,
                                                   trigger="auto")
    finding = FindingsHub(platform).list(generator_id="linux-ssh-root-login-disabled")[0]
    csrf = console_login("operator")
    page = client.get("/console/findings/detail", params={"id": finding["Id"]}).text
    assert f'data-execution="{pending["executionId"]}" data-status="PENDING_APPROVAL"' in page
    resp = client.post("/console/findings/remediate", data={
        "csrf_token": csrf, "finding_id": finding["Id"], "rule": finding["GeneratorId"],
        "resource": item["arn"], "execution_id": pending["executionId"], "action": "approve"}, follow_redirects=False)
    assert resp.status_code == 303 and "SUCCEEDED" in resp.headers["location"]
    assert (root / "etc/ssh/sshd_config").read_text().splitlines()[1] == "PermitRootLogin no"
    assert FindingsHub(platform).get(finding["ProductArn"], finding["Id"])["Workflow"]["Status"] == "RESOLVED"


def test_findings_list_pages(client, platform, console_login):
    from tests.findings.factory import make_finding

    FindingsHub(platform).import_many([make_finding(f"p-{i:03d}", at=f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}.000Z")
                                       for i in range(120)])
    console_login("viewer")
    first = client.get("/console/findings").text
    ids = re.findall(r'<tr data-id="([^"]+)"', first)
    assert len(ids) == 50 and ids[0] == "p-119"
    assert 'rel="next"' in first and 'rel="prev"' not in first and "120 finding(s)" in first
    last = client.get("/console/findings", params={"offset": 100}).text
    assert re.findall(r'<tr data-id="([^"]+)"', last) == [f"p-{i:03d}" for i in range(19, -1, -1)]
    assert 'rel="next"' not in last and 'rel="prev"' in last
    assert client.get("/console/findings", params={"offset": -1}).status_code == 422
