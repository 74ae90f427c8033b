from __future__ import annotations

from tests.findings.factory import PRODUCT, make_finding


def test_import_list_get_update_export(client, operator_headers, viewer_headers, platform):
    r = client.post("/findings/import", json={"Findings": [make_finding("a"), make_finding("b", Title="x" * 300)]},
                    headers=operator_headers)
    assert r.status_code == 200
    body = r.json()
    assert body["SuccessCount"] == 1 and body["FailedFindings"][0]["Id"] == "b"
    assert client.post("/findings/import", json={"Findings": [make_finding("v")]},
                       headers=viewer_headers).status_code == 403
    too_many = client.post("/findings/import", json={"Findings": [make_finding(f"f{i}") for i in range(101)]},
                           headers=operator_headers)
    assert too_many.status_code == 422
    listed = client.get("/findings", params={"min_severity": "HIGH"}, headers=viewer_headers).json()["Findings"]
    assert [f["Id"] for f in listed] == ["a"]
    assert client.get("/findings/item", params={"id": "a"}, headers=viewer_headers).json()["Title"] == "finding a"
    assert client.get("/findings/item", params={"id": "zz"}, headers=viewer_headers).status_code == 404
    r = client.post("/findings/update", json={"FindingIdentifiers": [{"Id": "a", "ProductArn": PRODUCT}],
                                              "Workflow": {"Status": "SUPPRESSED"}, "Note": {"Text": "ok"}},
                    headers=operator_headers)
    assert r.json()["ProcessedFindings"] == [{"Id": "a", "ProductArn": PRODUCT}]
    bad = client.post("/findings/update", json={"FindingIdentifiers": [{"Id": "a", "ProductArn": PRODUCT}],
                                                "Workflow": {"Status": "DONE"}}, headers=operator_headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "Workflow", "Status"], bad.text
    sarif = client.get("/findings/export", params={"format": "sarif"}, headers=viewer_headers).json()
    assert sarif["runs"][0]["results"][0]["suppressions"]
    groups = client.get("/findings/insights", params={"group_by": "Workflow.Status"}, headers=viewer_headers).json()
    assert groups["ResultValues"] == [{"GroupByAttributeValue": "SUPPRESSED", "Count": 1}]


def test_automation_rules_api(client, operator_headers, viewer_headers):
    rule = {"RuleName": "r1", "RuleOrder": 1, "Criteria": {"SeverityLabel": [{"Value": "LOW"}]},
            "Actions": [{"Type": "FINDING_FIELDS_UPDATE", "FindingFieldsUpdate": {"Workflow": {"Status": "SUPPRESSED"}}}]}
    assert client.post("/findings/automation-rules", json=rule, headers=operator_headers).status_code == 201
    bad = client.post("/findings/automation-rules", json={**rule, "RuleName": "r2", "Actions": []},
                      headers=operator_headers)
    assert bad.status_code == 400 and "Actions" in bad.json()["detail"]
    assert [r["RuleName"] for r in client.get("/findings/automation-rules",
                                             headers=viewer_headers).json()["Rules"]] == ["r1"]
    assert client.delete("/findings/automation-rules/r1", headers=operator_headers).status_code == 204


def test_compliance_api(client, operator_headers, viewer_headers, platform):
    from assetguard.inventory.service import InventoryService
    from tests.compliance.items import perm, sg

    item = sg("sg-1", [perm(22)])
    InventoryService(platform).apply_collection("test", [item])
    rules = client.get("/compliance/rules", params={"pack": "kisa-unix"}, headers=viewer_headers).json()
    assert len(rules) >= 15
    r = client.post("/compliance/evaluate", json={"rules": ["restricted-ssh"]}, headers=operator_headers)
    assert r.json()["summary"] == {"NON_COMPLIANT": 1}
    results = client.get("/compliance/results", params={"compliance_type": "NON_COMPLIANT"},
                         headers=viewer_headers).json()
    assert [x["rule_id"] for x in results] == ["restricted-ssh"]
    r = client.put("/compliance/remediation/configs/restricted-ssh", json={"approval": "auto", "max_attempts": 0},
                   headers=operator_headers)
    assert r.status_code == 400
    r = client.put("/compliance/remediation/configs/restricted-ssh", json={"approval": "auto"},
                   headers=operator_headers)
    assert r.json()["approval"] == "auto"
    assert client.post("/compliance/remediation/executions/nope/approve",
                       headers=operator_headers).status_code == 404


def test_saved_insights(client, operator_headers, viewer_headers):
    client.post("/findings/import", json={"Findings": [make_finding("a"), make_finding("b", severity="LOW")]},
                headers=operator_headers)
    body = {"Name": "by-severity", "Filters": {"RecordState": [{"Value": "ACTIVE"}]}, "GroupByAttribute": "SeverityLabel"}
    assert client.post("/findings/insights/saved", json=body, headers=operator_headers).status_code == 201
    assert client.post("/findings/insights/saved", json=body, headers=operator_headers).status_code == 409
    r = client.get("/findings/insights/saved/by-severity/results", headers=viewer_headers).json()
    assert sorted((v["GroupByAttributeValue"], v["Count"]) for v in r["ResultValues"]) == [("HIGH", 1), ("LOW", 1)]
    assert client.delete("/findings/insights/saved/by-severity", headers=operator_headers).status_code == 204
    assert client.get("/findings/insights/saved/by-severity/results", headers=viewer_headers).status_code == 404
