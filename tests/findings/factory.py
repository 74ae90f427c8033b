"""Build valid ASFF findings for tests."""

from __future__ import annotations

from typing import Any

PRODUCT = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"


def make_finding(fid: str = "f-1", *, at: str = "2026-01-01T00:00:00.000Z", created: str | None = None,
                 severity: str = "HIGH", compliance: str | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "SchemaVersion": "2018-10-08", "Id": fid, "ProductArn": PRODUCT, "GeneratorId": "restricted-ssh",
        "AwsAccountId": "123456789012", "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": created or at, "UpdatedAt": at, "Severity": {"Label": severity},
        "Title": f"finding {fid}", "Description": "something is wrong",
        "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": f"arn:aws:ec2:us-east-1:123456789012:security-group/{fid}",
                       "Region": "us-east-1"}],
    }
    if compliance:
        doc["Compliance"] = {"Status": compliance}
    doc.update(extra)
    return doc
