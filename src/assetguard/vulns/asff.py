"""ASFF findings for vulnerability matches (Inspector's package-vulnerability shape).

One finding per (asset, advisory): every vulnerable package of the asset that the advisory
matches is listed in ``Vulnerabilities[0].VulnerablePackages``. Open findings carry
``Compliance.Status = FAILED``; a resolved one is re-imported with ``PASSED`` and
``RecordState = ARCHIVED``, which the hub turns into Workflow RESOLVED::

    doc = build_finding(asset, [match, ...], references, now="2026-01-01T00:00:00.000Z")
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from assetguard.vulns.matcher import Match

SCHEMA_VERSION = "2018-10-08"
GENERATOR_ID = "assetguard-vulns"
FINDING_TYPE = "Software and Configuration Checks/Vulnerabilities/CVE"
PACKAGE_MANAGERS = {"Debian": "OS", "Ubuntu": "OS", "Alpine": "OS", "Red Hat": "OS", "PyPI": "PYTHONPKG",
                    "npm": "NODEPKG", "Go": "GOMOD", "Maven": "JAR", "crates.io": "CARGO", "RubyGems": "GEMSPEC"}
SEVERITY_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 30, "MEDIUM": 50, "HIGH": 80, "CRITICAL": 95}


def product_arn(region: str) -> str:
    return f"arn:aws:securityhub:{region}::product/assetguard/vulns"


def finding_id(asset_arn: str, canonical_id: str) -> str:
    fid = f"{asset_arn}/vulnerability/{canonical_id}"
    if len(fid) <= 512:
        return fid
    digest = hashlib.sha256(asset_arn.encode()).hexdigest()[:32]
    return f"urn:assetguard:vulns:{digest}/vulnerability/{canonical_id}"


def asff_resource_type(resource_type: str) -> str:
    """``AWS::EC2::Instance`` -> ``AwsEc2Instance``; non-AWS types -> ``Other``."""
    if resource_type.startswith("AWS::"):
        return "Aws" + "".join(p[:1].upper() + p[1:].lower() if p.isupper() else p
                               for p in resource_type[5:].split("::"))
    if resource_type == "AssetGuard::Container::Image":
        return "Container"
    return "Other"


def _account(asset: dict[str, Any]) -> str:
    account = str(asset.get("accountId") or "")
    return account if re.fullmatch(r"\d{12}", account) else "000000000000"


def _region(asset: dict[str, Any]) -> str:
    return str(asset.get("awsRegion") or "us-east-1")


def cvss_version(vector: str | None) -> str | None:
    if not vector:
        return None
    m = re.match(r"CVSS:(\d\.\d)/", vector)
    return m.group(1) if m else "2.0"


def _package_entry(m: Match) -> dict[str, Any]:
    entry: dict[str, Any] = {"Name": m.package, "Version": m.version,
                             "PackageManager": PACKAGE_MANAGERS.get(m.ecosystem.split(":")[0], m.ecosystem)}
    if ":" in m.version and m.ecosystem.split(":")[0] in ("Debian", "Ubuntu", "Red Hat"):
        entry["Epoch"] = m.version.split(":", 1)[0]
    if m.fixed:
        entry["FixedInVersion"] = m.fixed
        entry["Remediation"] = f"Upgrade {m.package} to {m.fixed} or later"
    if m.location:
        entry["FilePath"] = m.location
    return entry


def build_finding(asset: dict[str, Any], matches: list[Match], references: list[str], *, created: str,
                  updated: str) -> dict[str, Any]:
    """The ASFF finding for one asset and one advisory (``matches`` share ``canonical_id``)."""
    first = max(matches, key=lambda m: (m.cvss or 0.0))
    vuln_id = first.canonical_id or first.id
    arn = asset["arn"]
    region = _region(asset)
    related = sorted({first.id, *[a for m in matches for a in m.aliases]} - {vuln_id})
    fixes = [m for m in matches if m.fixed]
    fix_available = "YES" if len(fixes) == len(matches) else ("PARTIAL" if fixes else "NO")
    names = sorted({m.package for m in matches})
    title = f"{vuln_id} - {', '.join(names)}"[:256]
    description = (first.summary or f"{vuln_id} affects {', '.join(names)}")[:1024]
    vulnerability: dict[str, Any] = {
        "Id": vuln_id,
        "VulnerablePackages": [_package_entry(m) for m in matches],
        "RelatedVulnerabilities": related,
        "Vendor": {"Name": "OSV", "Url": f"https://osv.dev/vulnerability/{first.id}",
                   "VendorSeverity": first.severity},
        "ReferenceUrls": references[:20],
        "FixAvailable": fix_available,
    }
    if first.cvss is not None:
        vulnerability["Cvss"] = [{"Version": cvss_version(first.cvss_vector), "BaseScore": first.cvss,
                                  "BaseVector": first.cvss_vector, "Source": "OSV"}]
    remediation = ("; ".join(f"{m.package} {m.version} -> {m.fixed}" for m in fixes) if fixes
                   else "No fixed version is available yet")
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(arn, vuln_id),
        "ProductArn": product_arn(region),
        "ProductName": "Vulnerability scanning",
        "CompanyName": "assetguard",
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": _account(asset),
        "Region": region,
        "Types": [FINDING_TYPE],
        "CreatedAt": created,
        "UpdatedAt": updated,
        "FirstObservedAt": created,
        "LastObservedAt": updated,
        "Severity": {"Label": first.severity, "Normalized": SEVERITY_NORMALIZED[first.severity],
                     "Original": str(first.cvss) if first.cvss is not None else first.severity},
        "Title": title,
        "Description": description,
        "Remediation": {"Recommendation": {"Text": remediation[:512],
                                           "Url": f"https://osv.dev/vulnerability/{first.id}"}},
        "Resources": [{"Type": asff_resource_type(str(asset.get("resourceType", ""))), "Id": arn,
                       "Region": region,
                       "Details": {"Other": {"resourceType": str(asset.get("resourceType", "")),
                                             "resourceName": str(asset.get("resourceName") or "")}}}],
        "Vulnerabilities": [vulnerability],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
        "ProductFields": {"assetguard/vulns/advisories": ",".join(sorted({i for m in matches
                                                                          for i in m.advisory_ids}))},
    }
