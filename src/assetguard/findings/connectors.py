"""AWS connectors: import from Security Hub, Inspector2 and AWS Config; export to Security Hub.

    SecurityHubConnector(client).import_into(hub, filters={"SeverityLabel": [...]})
    SecurityHubConnector(client).export(findings)            # batch_import_findings, 100 per call
    Inspector2Connector(client).import_into(hub)             # list_findings → ASFF
    ConfigComplianceConnector(client, account_id).import_into(hub)

Clients are passed in (``boto3.Session(...).client("securityhub")``): no global clients. Imported
Security Hub findings keep their workflow, notes and timestamps (``trusted`` import); their
``UpdatedAt`` must still increase for an update to apply.

Permissions: ``securityhub:GetFindings``, ``securityhub:BatchImportFindings``,
``inspector2:ListFindings``, ``config:DescribeComplianceByConfigRule``,
``config:GetComplianceDetailsByConfigRule``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assetguard.findings.model import SEVERITY_RANK, format_time

PERMISSIONS = ("securityhub:GetFindings", "securityhub:BatchImportFindings", "inspector2:ListFindings",
               "config:DescribeComplianceByConfigRule", "config:GetComplianceDetailsByConfigRule")


@dataclass
class ImportSummary:
    fetched: int = 0
    imported: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"fetched": self.fetched, "imported": self.imported, "failed": self.failed}


def _import_chunks(hub: Any, findings: Iterator[dict[str, Any]], *, trusted: bool,
                   summary: ImportSummary) -> ImportSummary:
    batch: list[dict[str, Any]] = []
    for f in findings:
        summary.fetched += 1
        batch.append(f)
        if len(batch) == 100:
            _flush(hub, batch, trusted, summary)
            batch = []
    if batch:
        _flush(hub, batch, trusted, summary)
    return summary


def _flush(hub: Any, batch: list[dict[str, Any]], trusted: bool, summary: ImportSummary) -> None:
    result = hub.batch_import(batch, trusted=trusted)
    summary.imported += result["SuccessCount"]
    summary.failed.extend(result["FailedFindings"])


def _json_safe(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return format_time(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


class SecurityHubConnector:
    def __init__(self, client: Any) -> None:
        self.client = client

    def fetch(self, filters: dict[str, Any] | None = None, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every finding matching ``filters`` (GetFindings filter syntax), following NextToken.

        The filters go to Security Hub and are applied again locally, so an endpoint that ignores
        some of them (older regions' partial filter support, emulators) cannot widen the import.
        """
        from assetguard.findings.filters import compile_filters

        kwargs: dict[str, Any] = {"MaxResults": page_size}
        if filters:
            kwargs["Filters"] = filters
        keep = compile_filters(filters)
        while True:
            page = self.client.get_findings(**kwargs)
            for f in page.get("Findings", []):
                doc = _json_safe(f)
                if keep(doc):
                    yield doc
            token = page.get("NextToken")
            if not token:
                return
            kwargs["NextToken"] = token

    def import_into(self, hub: Any, filters: dict[str, Any] | None = None) -> ImportSummary:
        return _import_chunks(hub, self.fetch(filters), trusted=True, summary=ImportSummary())

    def export(self, findings: list[dict[str, Any]]) -> dict[str, Any]:
        """Send findings with ``batch_import_findings``; consumer-only and local fields are stripped."""
        success, failed = 0, []
        for i in range(0, len(findings), 100):
            chunk = [{k: v for k, v in f.items() if k not in ("ProcessedAt",)} for f in findings[i:i + 100]]
            resp = self.client.batch_import_findings(Findings=chunk)
            success += resp.get("SuccessCount", 0)
            failed.extend(resp.get("FailedFindings", []))
        return {"SuccessCount": success, "FailedCount": len(failed), "FailedFindings": failed}


INSPECTOR_STATUS = {"ACTIVE": "ACTIVE", "SUPPRESSED": "ACTIVE", "CLOSED": "ARCHIVED"}


def inspector_to_asff(f: dict[str, Any], region: str) -> dict[str, Any]:
    """An Inspector2 finding in ASFF (the shape Inspector itself sends to Security Hub, abridged)."""
    account = f.get("awsAccountId", "000000000000")
    created = _json_safe(f.get("firstObservedAt")) or _json_safe(f.get("updatedAt"))
    updated = _json_safe(f.get("updatedAt")) or created
    label = str(f.get("severity", "INFORMATIONAL")).upper()
    if label == "UNTRIAGED" or label not in SEVERITY_RANK:
        label = "INFORMATIONAL"
    resources = []
    for r in f.get("resources") or [{"type": "Other", "id": f.get("findingArn", "unknown")}]:
        resources.append({"Type": _inspector_type(str(r.get("type", "Other"))), "Id": str(r.get("id")),
                          "Region": r.get("region", region), "Partition": r.get("partition", "aws")})
    doc: dict[str, Any] = {
        "SchemaVersion": "2018-10-08", "Id": f.get("findingArn") or f"inspector/{f.get('title')}",
        "ProductArn": f"arn:aws:securityhub:{region}::product/aws/inspector",
        "ProductName": "Inspector", "CompanyName": "Amazon", "GeneratorId": f.get("type", "AWSInspector"),
        "AwsAccountId": account, "Region": region,
        "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"]
        if f.get("type") == "PACKAGE_VULNERABILITY" else ["Software and Configuration Checks"],
        "CreatedAt": created or updated, "UpdatedAt": updated or created,
        "FirstObservedAt": created, "LastObservedAt": _json_safe(f.get("lastObservedAt")) or updated,
        "Severity": {"Label": label}, "Title": str(f.get("title", "Inspector finding"))[:256],
        "Description": str(f.get("description", f.get("title", "")))[:1024] or "Inspector finding",
        "Resources": resources, "RecordState": INSPECTOR_STATUS.get(str(f.get("status", "ACTIVE")), "ACTIVE"),
    }
    details = f.get("packageVulnerabilityDetails")
    if details:
        doc["Vulnerabilities"] = [{
            "Id": details.get("vulnerabilityId"),
            "VulnerablePackages": [{"Name": p.get("name"), "Version": p.get("version"),
                                    "FixedInVersion": p.get("fixedInVersion"), "PackageManager": p.get("packageManager")}
                                   for p in details.get("vulnerablePackages") or []],
            "Cvss": [{"BaseScore": c.get("baseScore"), "BaseVector": c.get("scoringVector"), "Version": c.get("version")}
                     for c in details.get("cvss") or []],
            "ReferenceUrls": details.get("referenceUrls") or [],
        }]
    remediation = ((f.get("remediation") or {}).get("recommendation") or {}).get("text")
    if remediation:
        doc["Remediation"] = {"Recommendation": {"Text": str(remediation)[:512]}}
    return doc


def _inspector_type(t: str) -> str:
    return {"AWS_EC2_INSTANCE": "AwsEc2Instance", "AWS_ECR_CONTAINER_IMAGE": "AwsEcrContainerImage",
            "AWS_LAMBDA_FUNCTION": "AwsLambdaFunction", "AWS_ECR_REPOSITORY": "AwsEcrRepository"}.get(t, "Other")


class Inspector2Connector:
    def __init__(self, client: Any) -> None:
        self.client = client

    def fetch(self, filter_criteria: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"maxResults": 100}
        if filter_criteria:
            kwargs["filterCriteria"] = filter_criteria
        region = self.client.meta.region_name
        while True:
            page = self.client.list_findings(**kwargs)
            for f in page.get("findings", []):
                yield inspector_to_asff(_json_safe(f), region)
            token = page.get("nextToken")
            if not token:
                return
            kwargs["nextToken"] = token

    def import_into(self, hub: Any, filter_criteria: dict[str, Any] | None = None) -> ImportSummary:
        return _import_chunks(hub, self.fetch(filter_criteria), trusted=True, summary=ImportSummary())


CONFIG_STATUS = {"NON_COMPLIANT": "FAILED", "COMPLIANT": "PASSED", "NOT_APPLICABLE": "NOT_AVAILABLE",
                 "INSUFFICIENT_DATA": "NOT_AVAILABLE"}


class ConfigComplianceConnector:
    """AWS Config rule results → ASFF findings (one per rule and resource, like Config's own integration)."""

    def __init__(self, client: Any, account_id: str) -> None:
        self.client = client
        self.account_id = account_id

    def fetch(self) -> Iterator[dict[str, Any]]:
        region = self.client.meta.region_name
        kwargs: dict[str, Any] = {}
        rules = []
        while True:
            page = self.client.describe_compliance_by_config_rule(**kwargs)
            rules += [r["ConfigRuleName"] for r in page.get("ComplianceByConfigRules", [])]
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        for rule in rules:
            kw: dict[str, Any] = {"ConfigRuleName": rule, "ComplianceTypes": ["NON_COMPLIANT", "COMPLIANT"]}
            while True:
                page = self.client.get_compliance_details_by_config_rule(**kw)
                for ev in page.get("EvaluationResults", []):
                    yield self._to_asff(rule, _json_safe(ev), region)
                if not page.get("NextToken"):
                    break
                kw["NextToken"] = page["NextToken"]

    def _to_asff(self, rule: str, ev: dict[str, Any], region: str) -> dict[str, Any]:
        qual = (ev.get("EvaluationResultIdentifier") or {}).get("EvaluationResultQualifier") or {}
        rtype, rid = qual.get("ResourceType", "Other"), qual.get("ResourceId", "unknown")
        stamp = ev.get("ResultRecordedTime") or ev.get("ConfigRuleInvokedTime")
        status = CONFIG_STATUS.get(ev.get("ComplianceType", ""), "NOT_AVAILABLE")
        doc = {
            "SchemaVersion": "2018-10-08", "Id": f"arn:aws:config:{region}:{self.account_id}:{rule}/{rtype}/{rid}",
            "ProductArn": f"arn:aws:securityhub:{region}::product/aws/config", "ProductName": "Config",
            "CompanyName": "AWS", "GeneratorId": rule, "AwsAccountId": self.account_id, "Region": region,
            "Types": ["Software and Configuration Checks"], "CreatedAt": stamp, "UpdatedAt": stamp,
            "Severity": {"Label": "MEDIUM" if status == "FAILED" else "INFORMATIONAL"},
            "Title": f"{rule} {ev.get('ComplianceType', '')}"[:256],
            "Description": (ev.get("Annotation") or f"AWS Config rule {rule} evaluated {rid}")[:1024],
            "Resources": [{"Type": "Other", "Id": str(rid), "Region": region,
                           "Details": {"Other": {"resourceType": str(rtype)}}}],
            "Compliance": {"Status": status},
        }
        return doc

    def import_into(self, hub: Any) -> ImportSummary:
        return _import_chunks(hub, self.fetch(), trusted=True, summary=ImportSummary())
