"""Output formats for ``assetguard scan vulns``: table, json, asff, sarif, cyclonedx-vex.

``json`` is the contract other tools rely on: a JSON array, one object per (package, advisory),
with exactly ``package, version, ecosystem, purl, id, aliases, severity, cvss, fixed``::

    [{"package": "requests", "version": "2.30.0", "ecosystem": "PyPI",
      "purl": "pkg:pypi/requests@2.30.0", "id": "GHSA-...", "aliases": ["CVE-..."],
      "severity": "MEDIUM", "cvss": 5.0, "fixed": "2.31.0"}]
"""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from assetguard.vulns.asff import build_finding
from assetguard.vulns.matcher import Match
from assetguard.vulns.severity import RANK

FORMATS = ("table", "json", "asff", "sarif", "cyclonedx-vex")
SARIF_LEVELS = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note", "INFORMATIONAL": "note"}


def sort_matches(matches: list[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-RANK.get(m.severity, 0), m.ecosystem, m.package, m.version, m.id))


def as_json(matches: list[Match]) -> str:
    return json.dumps([m.contract() for m in sort_matches(matches)], indent=2)


def as_table(matches: list[Match], title: str = "vulnerabilities") -> Table:
    table = Table(title=f"{title}: {len(matches)}")
    for col in ("severity", "cvss", "package", "version", "ecosystem", "advisory", "fixed in"):
        table.add_column(col, overflow="fold")
    colours = {"CRITICAL": "bold red", "HIGH": "red", "MEDIUM": "yellow", "LOW": "cyan", "INFORMATIONAL": "dim"}
    for m in sort_matches(matches):
        table.add_row(f"[{colours.get(m.severity, '')}]{m.severity}[/]", "" if m.cvss is None else f"{m.cvss:.1f}",
                      m.package, m.version, m.ecosystem, m.id, m.fixed or "-")
    return table


def as_asff(matches: list[Match], asset: dict[str, Any], now: str) -> str:
    groups: dict[str, list[Match]] = {}
    for m in matches:
        groups.setdefault(m.canonical_id or m.id, []).append(m)
    docs = [build_finding(asset, ms, [], created=now, updated=now) for ms in groups.values()]
    return json.dumps({"Findings": docs}, indent=2)


def as_sarif(matches: list[Match], target: str) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for m in sort_matches(matches):
        rules.setdefault(m.id, {
            "id": m.id, "name": m.canonical_id or m.id,
            "shortDescription": {"text": m.summary or m.id},
            "helpUri": f"https://osv.dev/vulnerability/{m.id}",
            "properties": {"security-severity": f"{m.cvss:.1f}" if m.cvss is not None else
                           {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "2.0"}.get(m.severity, "0.0"),
                           "tags": ["security", "vulnerability", *m.aliases]}})
        fix = f"; fixed in {m.fixed}" if m.fixed else "; no fix available"
        results.append({
            "ruleId": m.id, "level": SARIF_LEVELS.get(m.severity, "warning"),
            "message": {"text": f"{m.package} {m.version} ({m.ecosystem}) is affected by {m.id}{fix}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": m.location or m.purl or target}}}],
            "properties": {"purl": m.purl, "fixed": m.fixed, "aliases": m.aliases},
        })
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "assetguard-vulns", "informationUri": "https://osv.dev",
                                         "rules": list(rules.values())}},
                     "results": results}]}
    return json.dumps(doc, indent=2)


def as_cyclonedx_vex(matches: list[Match], target: str) -> str:
    components: dict[str, dict[str, Any]] = {}
    vulns: dict[str, dict[str, Any]] = {}
    for m in sort_matches(matches):
        ref = m.purl or f"{m.ecosystem}/{m.package}@{m.version}"
        components.setdefault(ref, {"type": "library", "bom-ref": ref, "name": m.package, "version": m.version,
                                    **({"purl": m.purl} if m.purl else {})})
        v = vulns.get(m.id)
        if v is None:
            rating: dict[str, Any] = {"severity": m.severity.lower() if m.severity != "INFORMATIONAL" else "info"}
            if m.cvss is not None:
                rating["score"] = m.cvss
                if m.cvss_vector:
                    rating["vector"] = m.cvss_vector
                    rating["method"] = "CVSSv4" if m.cvss_vector.startswith("CVSS:4") else (
                        "CVSSv31" if m.cvss_vector.startswith("CVSS:3.1") else "CVSSv3")
            v = vulns[m.id] = {
                "id": m.id, "source": {"name": "OSV", "url": f"https://osv.dev/vulnerability/{m.id}"},
                "references": [{"id": a, "source": {"name": "NVD" if a.startswith("CVE-") else "OSV"}}
                               for a in m.aliases],
                "ratings": [rating], "description": m.summary or "", "affects": [],
                "analysis": {"state": "in_triage"},
            }
        v["affects"].append({"ref": ref, "versions": [{"version": m.version, "status": "affected"}]})
        if m.fixed:
            v.setdefault("recommendation", f"Upgrade {m.package} to {m.fixed} or later")
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
           "metadata": {"component": {"type": "application", "name": target, "bom-ref": "target"}},
           "components": list(components.values()), "vulnerabilities": list(vulns.values())}
    return json.dumps(doc, indent=2)


def at_or_above(matches: list[Match], severity: str) -> list[Match]:
    floor = RANK[severity.upper()]
    return [m for m in matches if RANK.get(m.severity, 0) >= floor]
