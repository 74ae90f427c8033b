"""Findings out and in: ASFF JSON, OCSF (2002 Vulnerability / 2003 Compliance Finding), SARIF 2.1.0, CSV.

    write_findings(findings, "ocsf", out)       # one JSON array
    read_asff(text)                             # a list of ASFF findings from JSON / {"Findings": [...]} / JSONL

OCSF mapping: a finding with ``Vulnerabilities`` becomes class 2002 (Vulnerability Finding);
every other finding class 2003 (Compliance Finding) with ``compliance.status`` from
``Compliance.Status``. Severity ids follow OCSF (1 Informational ... 5 Critical); status ids map
the workflow (NEW → 1 New, NOTIFIED → 2 In Progress, SUPPRESSED → 3 Suppressed, RESOLVED → 4 Resolved).
"""

from __future__ import annotations

import csv
import io
import json
from typing import IO, Any

from assetguard.core.errors import ValidationError
from assetguard.findings.model import parse_time, severity_label

FORMATS = ("asff", "json", "ocsf", "sarif", "csv")
OCSF_SEVERITY = {"INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
OCSF_STATUS = {"NEW": (1, "New"), "NOTIFIED": (2, "In Progress"), "SUPPRESSED": (3, "Suppressed"),
               "RESOLVED": (4, "Resolved")}
OCSF_COMPLIANCE = {"PASSED": (1, "Pass"), "WARNING": (2, "Warning"), "FAILED": (3, "Fail"),
                   "NOT_AVAILABLE": (0, "Unknown")}
SARIF_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note", "INFORMATIONAL": "note"}
CSV_COLUMNS = ("Id", "ProductArn", "GeneratorId", "AwsAccountId", "Region", "SeverityLabel", "Title",
               "WorkflowStatus", "RecordState", "ComplianceStatus", "ResourceType", "ResourceId", "CreatedAt",
               "UpdatedAt", "Remediation")


def _ms(ts: str) -> int:
    return int(parse_time(ts).timestamp() * 1000)


def to_ocsf(f: dict[str, Any]) -> dict[str, Any]:
    """One ASFF finding as an OCSF 1.1 finding event (class 2002 or 2003)."""
    vulnerable = bool(f.get("Vulnerabilities"))
    class_uid, class_name = (2002, "Vulnerability Finding") if vulnerable else (2003, "Compliance Finding")
    label = severity_label(f)
    status_id, status = OCSF_STATUS.get((f.get("Workflow") or {}).get("Status", "NEW"), (99, "Other"))
    activity_id = 3 if status_id == 4 else 2 if f.get("CreatedAt") != f.get("UpdatedAt") else 1
    event: dict[str, Any] = {
        "class_uid": class_uid, "class_name": class_name, "category_uid": 2, "category_name": "Findings",
        "activity_id": activity_id, "activity_name": {1: "Create", 2: "Update", 3: "Close"}[activity_id],
        "type_uid": class_uid * 100 + activity_id,
        "severity_id": OCSF_SEVERITY[label], "severity": label.title(),
        "status_id": status_id, "status": status,
        "time": _ms(f["UpdatedAt"]),
        "metadata": {"version": "1.1.0", "product": {"name": f.get("ProductName", "assetguard"),
                                                     "vendor_name": f.get("CompanyName", "assetguard"),
                                                     "uid": f["ProductArn"]},
                     "uid": f["Id"]},
        "finding_info": {"uid": f["Id"], "title": f["Title"], "desc": f["Description"],
                         "types": f.get("Types", []), "created_time": _ms(f["CreatedAt"]),
                         "modified_time": _ms(f["UpdatedAt"]), "analytic": {"uid": f["GeneratorId"],
                                                                            "type_id": 1, "type": "Rule"}},
        "cloud": {"provider": "AWS", "account": {"uid": f["AwsAccountId"]}, "region": f.get("Region")},
        "resources": [{"uid": r["Id"], "type": r["Type"], "region": r.get("Region"),
                       "labels": [f"{k}={v}" for k, v in (r.get("Tags") or {}).items()]} for r in f["Resources"]],
        "unmapped": {"RecordState": f.get("RecordState")},
    }
    remediation = ((f.get("Remediation") or {}).get("Recommendation") or {}).get("Text")
    if remediation:
        event["remediation"] = {"desc": remediation}
    if vulnerable:
        event["vulnerabilities"] = [
            {"cve": {"uid": v.get("Id"), "cvss": [{"base_score": c.get("BaseScore"), "vector_string": c.get("BaseVector"),
                                                   "version": c.get("Version")} for c in v.get("Cvss") or []]},
             "affected_packages": [{"name": p.get("Name"), "version": p.get("Version"),
                                    "fixed_in_version": p.get("FixedInVersion")}
                                   for p in v.get("VulnerablePackages") or []],
             "title": v.get("Id"), "severity": label.title()} for v in f["Vulnerabilities"]]
    else:
        comp = f.get("Compliance") or {}
        cid, cstatus = OCSF_COMPLIANCE.get(comp.get("Status", "NOT_AVAILABLE"), (0, "Unknown"))
        event["compliance"] = {"status_id": cid, "status": cstatus,
                               "control": comp.get("SecurityControlId") or f["GeneratorId"],
                               "requirements": comp.get("RelatedRequirements", []),
                               "status_details": [r.get("Description", "") for r in comp.get("StatusReasons") or []]}
    return event


def to_sarif(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """SARIF 2.1.0: one rule per GeneratorId, one result per finding, resources as logical locations."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        rid = f["GeneratorId"]
        label = severity_label(f)
        if rid not in rules:
            remediation = ((f.get("Remediation") or {}).get("Recommendation") or {}).get("Text", "")
            rules[rid] = {"id": rid, "name": rid, "shortDescription": {"text": f["Title"]},
                          "fullDescription": {"text": f["Description"]}, "help": {"text": remediation or f["Title"]},
                          "defaultConfiguration": {"level": SARIF_LEVEL[label]},
                          "properties": {"security-severity": str({"CRITICAL": 9.5, "HIGH": 8.0, "MEDIUM": 5.5,
                                                                   "LOW": 3.0, "INFORMATIONAL": 0.0}[label]),
                                         "tags": f.get("Types", [])}}
        status = (f.get("Workflow") or {}).get("Status")
        result: dict[str, Any] = {
            "ruleId": rid, "level": SARIF_LEVEL[label], "message": {"text": f"{f['Title']}: {f['Description']}"},
            "locations": [{"logicalLocations": [{"fullyQualifiedName": r["Id"], "kind": "resource",
                                                 "name": r["Type"]}]} for r in f["Resources"]],
            "partialFingerprints": {"assetguardFindingId": f["Id"]},
            "properties": {"workflowStatus": status, "severity": label,
                           "complianceStatus": (f.get("Compliance") or {}).get("Status")},
        }
        if status in ("SUPPRESSED", "RESOLVED"):
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": f"workflow status {status}"}]
        results.append(result)
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "assetguard", "informationUri": "https://example.invalid/assetguard",
                                          "rules": list(rules.values())}}, "results": results}]}


def to_csv_rows(findings: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for f in findings:
        res = f["Resources"][0]
        rows.append({
            "Id": f["Id"], "ProductArn": f["ProductArn"], "GeneratorId": f["GeneratorId"],
            "AwsAccountId": f["AwsAccountId"], "Region": str(f.get("Region") or res.get("Region") or ""),
            "SeverityLabel": severity_label(f), "Title": f["Title"],
            "WorkflowStatus": (f.get("Workflow") or {}).get("Status", ""), "RecordState": f.get("RecordState", ""),
            "ComplianceStatus": (f.get("Compliance") or {}).get("Status", ""), "ResourceType": res["Type"],
            "ResourceId": res["Id"], "CreatedAt": f["CreatedAt"], "UpdatedAt": f["UpdatedAt"],
            "Remediation": ((f.get("Remediation") or {}).get("Recommendation") or {}).get("Text", ""),
        })
    return rows


def render(findings: list[dict[str, Any]], fmt: str) -> str:
    """The findings as text in ``fmt`` (asff/json, ocsf, sarif, csv)."""
    if fmt in ("asff", "json"):
        return json.dumps({"Findings": findings}, indent=2, default=str)
    if fmt == "ocsf":
        return json.dumps([to_ocsf(f) for f in findings], indent=2, default=str)
    if fmt == "sarif":
        return json.dumps(to_sarif(findings), indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(to_csv_rows(findings))
        return buf.getvalue()
    raise ValidationError(f"unknown format {fmt!r}; valid formats: {', '.join(FORMATS)}", where="--format")


def write_findings(findings: list[dict[str, Any]], fmt: str, out: IO[str]) -> None:
    out.write(render(findings, fmt))
    if fmt != "csv":
        out.write("\n")


def read_asff(text: str, *, where: str = "input") -> list[dict[str, Any]]:
    """ASFF findings from a JSON array, ``{"Findings": [...]}``, one object, or JSON Lines."""
    text = text.strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError as exc:
                raise ValidationError(f"invalid JSON: {exc.args[0]}", where=f"{where}:{n}") from None
        return out
    if isinstance(data, dict) and isinstance(data.get("Findings"), list):
        return list(data["Findings"])
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        return [data]
    raise ValidationError("expected ASFF findings (array, {\"Findings\": [...]} or JSON Lines)", where=where)
