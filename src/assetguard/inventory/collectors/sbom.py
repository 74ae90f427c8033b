"""The ``sbom`` collector: CycloneDX JSON (1.4–1.6) and SPDX 2.3 JSON documents.

One ``AssetGuard::Software::SBOM`` item per document, identified by the SBOM's subject
(CycloneDX ``metadata.component``, SPDX document name), so importing a newer SBOM of the same
application updates the same asset and its history shows which packages changed::

    assetguard inventory collect --source sbom --path app.cdx.json

Components with a purl become ``configuration.packages``; those without one are counted in
``componentsWithoutPurl`` (nothing could match them against advisories).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from assetguard.core.clock import utcnow
from assetguard.core.errors import ValidationError
from assetguard.inventory.collectors.base import CollectionResult, Progress, collectors
from assetguard.inventory.collectors.files import expect, load_json
from assetguard.inventory.model import SBOM_TYPE, Package, PackageSource
from assetguard.inventory.purl import ecosystem_for_purl, parse_purl

CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6")


class SbomCollectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(min_length=1)


def _package(purl: str, fallback_version: str | None, where: str) -> dict[str, Any] | None:
    try:
        parsed = parse_purl(purl)
    except ValueError as exc:
        raise ValidationError(str(exc), where=where) from None
    ecosystem = ecosystem_for_purl(parsed)
    version = parsed.version or fallback_version
    if ecosystem is None or not version:
        return None
    upstream = parsed.qualifiers.get("upstream")
    source = None
    if upstream:
        sname, _, sver = upstream.partition("@")
        source = PackageSource(name=sname, version=sver or None)
    return Package(name=parsed.full_name, version=version, ecosystem=ecosystem, purl=purl, source=source,
                   location=None).model_dump()


def _cyclonedx_components(components: list[Any], where: str, out: list[tuple[str, Any, str]]) -> None:
    for i, comp in enumerate(components):
        here = f"{where}[{i}]"
        expect(comp, dict, here, "a component object")
        out.append((here, comp, here))
        nested = comp.get("components")
        if nested:
            _cyclonedx_components(expect(nested, list, f"{here}.components", "a list"), f"{here}.components", out)


def parse_cyclonedx(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    spec = str(doc.get("specVersion", ""))
    if spec not in CYCLONEDX_VERSIONS:
        raise ValidationError(f"unsupported CycloneDX specVersion {spec!r}; supported: {', '.join(CYCLONEDX_VERSIONS)}",
                              where=f"{path}:$.specVersion")
    meta = expect(doc.get("metadata") or {}, dict, f"{path}:$.metadata", "an object")
    subject = expect(meta.get("component") or {}, dict, f"{path}:$.metadata.component", "an object")
    found: list[tuple[str, Any, str]] = []
    _cyclonedx_components(expect(doc.get("components") or [], list, f"{path}:$.components", "a list"),
                          "$.components", found)
    packages, without = [], 0
    for here, comp, _ in found:
        purl = comp.get("purl")
        pkg = _package(purl, comp.get("version"), f"{path}:{here}.purl") if isinstance(purl, str) and purl else None
        if pkg is None:
            without += 1
            continue
        pkg["location"] = comp.get("bom-ref")
        packages.append(pkg)
    tools = meta.get("tools") or []
    if isinstance(tools, dict):  # 1.5+: {"components": [...], "services": [...]}
        tools = tools.get("components", [])
    return {
        "format": "CycloneDX", "specVersion": spec, "serialNumber": doc.get("serialNumber"),
        "subject": {"name": subject.get("name"), "version": subject.get("version"), "type": subject.get("type"),
                    "purl": subject.get("purl")},
        "tools": sorted({str(t.get("name")) for t in tools if isinstance(t, dict) and t.get("name")}),
        "packages": packages, "componentsWithoutPurl": without,
    }


def parse_spdx(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    version = doc.get("spdxVersion")
    if version != "SPDX-2.3":
        raise ValidationError(f"unsupported spdxVersion {version!r}; supported: SPDX-2.3", where=f"{path}:$.spdxVersion")
    packages, without = [], 0
    described = set(doc.get("documentDescribes") or [])
    for rel in doc.get("relationships") or []:
        if isinstance(rel, dict) and rel.get("relationshipType") == "DESCRIBES":
            described.add(rel.get("relatedSpdxElement"))
    subject: dict[str, Any] = {"name": doc.get("name"), "version": None, "type": None, "purl": None}
    for i, pkg in enumerate(expect(doc.get("packages") or [], list, f"{path}:$.packages", "a list")):
        here = f"$.packages[{i}]"
        expect(pkg, dict, f"{path}:{here}", "a package object")
        refs = [r for r in pkg.get("externalRefs") or [] if isinstance(r, dict) and r.get("referenceType") == "purl"]
        if pkg.get("SPDXID") in described:
            subject = {"name": pkg.get("name"), "version": pkg.get("versionInfo"), "type": pkg.get("primaryPackagePurpose"),
                       "purl": refs[0].get("referenceLocator") if refs else None}
            continue
        entry = _package(refs[0].get("referenceLocator", ""), pkg.get("versionInfo"),
                         f"{path}:{here}.externalRefs") if refs else None
        if entry is None:
            without += 1
            continue
        entry["location"] = pkg.get("SPDXID")
        packages.append(entry)
    creators = (doc.get("creationInfo") or {}).get("creators") or []
    return {"format": "SPDX", "specVersion": "2.3", "serialNumber": doc.get("documentNamespace"), "subject": subject,
            "tools": sorted(c.removeprefix("Tool:").strip() for c in creators if isinstance(c, str) and c.startswith("Tool:")),
            "packages": packages, "componentsWithoutPurl": without}


def read_sbom(path: Path) -> dict[str, Any]:
    """Parse one SBOM file into the SBOM item's ``configuration``."""
    doc = expect(load_json(path), dict, f"{path}:$", "a JSON object")
    if doc.get("bomFormat") == "CycloneDX":
        config = parse_cyclonedx(doc, path)
    elif "spdxVersion" in doc:
        config = parse_spdx(doc, path)
    else:
        raise ValidationError("not an SBOM: expected CycloneDX (bomFormat) or SPDX (spdxVersion)", where=f"{path}:$")
    config["packages"].sort(key=lambda p: (p["ecosystem"], p["name"], p["version"], p["location"] or ""))
    config["file"] = path.name
    return config


@collectors.register("sbom")
class SbomCollector:
    """Import CycloneDX / SPDX JSON SBOMs as software assets with packages."""

    name: ClassVar[str] = "sbom"
    Config: ClassVar[type[BaseModel]] = SbomCollectorConfig
    permissions: ClassVar[tuple[str, ...]] = ()

    def collect(self, config: SbomCollectorConfig, progress: Progress | None = None) -> CollectionResult:
        result = CollectionResult()
        parsed = []
        for i, raw in enumerate(config.paths):  # parse every file before storing any
            if progress:
                progress("sbom", raw, i, len(config.paths))
            parsed.append(read_sbom(Path(raw)))
        for conf in parsed:
            subject = conf["subject"]
            key = subject.get("purl") or (f"{subject['name']}@{subject.get('version') or ''}" if subject.get("name")
                                          else conf.get("serialNumber") or conf["file"])
            rid = hashlib.sha256(str(key).encode()).hexdigest()[:32]
            arn = f"urn:assetguard:sbom:{rid}"
            result.items.append({"arn": arn, "resourceType": SBOM_TYPE, "resourceId": rid,
                                 "resourceName": subject.get("name") or conf["file"],
                                 "configurationItemCaptureTime": utcnow().isoformat(), "configuration": conf})
            result.scope.add(arn)
        return result
