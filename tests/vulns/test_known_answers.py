"""Known answers: an image tarball (dpkg + Python layers) and an SBOM built here, scanned against
the shipped fixture advisories, give exactly these findings.

Covered edge cases: ``~`` pre-releases on both sides of a fix, an epoch equal to the fix, a fix
exactly at the installed version, ``last_affected`` inclusive, a ``Debian:11``-only advisory, a
withdrawn advisory, Debian source packages with their own ``(version)``, a later layer upgrading a
package, PyPI name normalisation, an explicit ``versions`` list, GHSA/PYSEC alias unification, a
fix at a pre-release, and npm/Maven/Go/crates.io/RubyGems boundaries in the SBOM.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from typer.testing import CliRunner

from assetguard.cli.main import app
from assetguard.runtime.platform import Platform
from assetguard.vulns import inputs
from assetguard.vulns.database import AdvisoryDatabase
from assetguard.vulns.scanner import VulnerabilityScanner

from .conftest import FIXTURES

OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'


def stanza(name: str, version: str, source: str | None = None, status: str = "install ok installed") -> str:
    lines = [f"Package: {name}", f"Status: {status}", "Architecture: amd64", f"Version: {version}"]
    if source:
        lines.append(f"Source: {source}")
    return "\n".join(lines) + "\n"


def dpkg_status(bash_version: str) -> str:
    return "\n".join([
        stanza("libssl3", "3.0.11-1~deb12u1", "openssl"),            # ~deb12u1 < fix ~deb12u2: affected
        stanza("openssl", "3.0.11-1~deb12u2"),                       # exactly the fix: not affected
        stanza("zlib1g", "1:1.2.13.dfsg-1", "zlib"),                 # epoch 1 == fix: not affected
        stanza("bash", bash_version),                                # Debian:12 fix 5.2.15-2+b2
        stanza("coreutils", "9.1-1"),                                # withdrawn advisory
        stanza("tar", "1.34+dfsg-1.2"),                              # last_affected, inclusive
        stanza("curl", "7.88.1-10~rc2"),                             # introduced at ~rc1, fixed at -10
        stanza("libcurl4", "7.88.1-9+b1", "curl (7.88.1-9)"),        # source version below introduced
        stanza("tar-doc", "1.30-1", status="deinstall ok config-files"),  # not installed
    ])


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _layer(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, text in files.items():
            _add(tar, name, text.encode())
    return buf.getvalue()


def dist_info(name: str, version: str) -> dict[str, str]:
    return {f"usr/lib/python3/dist-packages/{name}-{version}.dist-info/METADATA":
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"}


def build_image(path: Path) -> Path:
    layers = {
        "base/layer.tar": _layer({"etc/os-release": OS_RELEASE, "var/lib/dpkg/status": dpkg_status("5.2.15-2+b1")}),
        # apt-get upgrade bash in a later layer: the fixed version wins.
        "upgrade/layer.tar": _layer({"var/lib/dpkg/status": dpkg_status("5.2.15-2+b2")}),
        "python/layer.tar": _layer({
            **dist_info("requests", "2.31.0"),       # == fix: not affected
            **dist_info("urllib3", "2.0.6"),         # second range; GHSA + PYSEC unified
            **dist_info("Jinja2", "3.1.2"),          # normalised name "jinja2"; CVSS v4
            **dist_info("Django", "4.2.1"),          # explicit versions list
            **dist_info("cryptography", "42.0.0rc1"),  # fixed at 42.0.0rc1: not affected
        }),
    }
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}}).encode()
    with tarfile.open(path, "w") as tar:
        _add(tar, "config.json", config)
        for name, data in layers.items():
            _add(tar, name, data)
        _add(tar, "manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["demo/app:1.0"],
                                                 "Layers": list(layers)}]).encode())
    return path


def build_sbom(path: Path) -> Path:
    purls = [
        "pkg:npm/lodash@4.17.20",                                  # < 4.17.21: affected
        "pkg:npm/minimist@1.2.6",                                  # == fix: not affected
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",     # between 2.0-beta9 and 2.15.0
        "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1",      # no advisory
        "pkg:golang/golang.org/x/net@v0.15.0",                     # v prefix, < 0.17.0
        "pkg:cargo/smallvec@1.6.0",                                # second introduced/fixed pair
        "pkg:cargo/smallvec@0.6.14",                               # == first fix: not affected
        "pkg:gem/rack@3.0.4.2",                                    # == fix: not affected
    ]
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
           "metadata": {"component": {"type": "application", "name": "shop", "version": "1.0"}},
           "components": [{"type": "library", "bom-ref": p, "name": p.split("/")[-1].split("@")[0], "purl": p}
                          for p in purls]}
    path.write_text(json.dumps(doc))
    return path


EXPECTED_IMAGE = [
    {"package": "libssl3", "version": "3.0.11-1~deb12u1", "ecosystem": "Debian:12",
     "id": "DEBIAN-CVE-2099-1001", "aliases": ["CVE-2099-1001"], "severity": "CRITICAL", "cvss": 9.8,
     "fixed": "3.0.11-1~deb12u2"},
    {"package": "curl", "version": "7.88.1-10~rc2", "ecosystem": "Debian:12",
     "id": "DEBIAN-CVE-2099-1007", "aliases": ["CVE-2099-1007"], "severity": "HIGH", "cvss": 7.5,
     "fixed": "7.88.1-10"},
    {"package": "Django", "version": "4.2.1", "ecosystem": "PyPI",
     "id": "PYSEC-2099-40", "aliases": ["CVE-2099-2004"], "severity": "HIGH", "cvss": 7.5, "fixed": None},
    {"package": "Jinja2", "version": "3.1.2", "ecosystem": "PyPI",
     "id": "GHSA-6666-7777-8888", "aliases": ["CVE-2099-2003"], "severity": "HIGH", "cvss": 8.7, "fixed": "3.1.3"},
    {"package": "urllib3", "version": "2.0.6", "ecosystem": "PyPI",
     "id": "GHSA-4444-5555-6666", "aliases": ["CVE-2099-2002", "PYSEC-2099-12"], "severity": "MEDIUM",
     "cvss": 5.0, "fixed": "2.0.7"},
    {"package": "tar", "version": "1.34+dfsg-1.2", "ecosystem": "Debian:12",
     "id": "DEBIAN-CVE-2099-1006", "aliases": ["CVE-2099-1006"], "severity": "LOW", "cvss": 2.2, "fixed": None},
]

EXPECTED_SBOM = [
    {"package": "org.apache.logging.log4j:log4j-core", "version": "2.14.1", "ecosystem": "Maven",
     "id": "GHSA-4444-6666-8888", "aliases": ["CVE-2099-4001"], "severity": "CRITICAL", "cvss": 9.8,
     "fixed": "2.15.0"},
    {"package": "golang.org/x/net", "version": "v0.15.0", "ecosystem": "Go", "id": "GO-2099-0001",
     "aliases": ["CVE-2099-5001", "GHSA-5555-7777-9999"], "severity": "HIGH", "cvss": 7.5, "fixed": "0.17.0"},
    {"package": "smallvec", "version": "1.6.0", "ecosystem": "crates.io", "id": "RUSTSEC-2099-0001",
     "aliases": ["CVE-2099-7001"], "severity": "HIGH", "cvss": None, "fixed": "1.6.1"},
    {"package": "lodash", "version": "4.17.20", "ecosystem": "npm", "id": "GHSA-2222-4444-6666",
     "aliases": ["CVE-2099-3001"], "severity": "HIGH", "cvss": 7.5, "fixed": "4.17.21"},
]


def _without_purl(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in r.items() if k != "purl"} for r in rows]


def test_image_known_answers(platform: Platform, tmp_path: Path) -> None:
    AdvisoryDatabase(platform).import_source(FIXTURES)
    image = build_image(tmp_path / "app.tar")
    from assetguard.vulns.reports import sort_matches

    pkgs = inputs.packages_of_items(inputs.image_items(image))
    rows = [m.contract() for m in sort_matches(VulnerabilityScanner(platform).match_packages(pkgs))]
    assert _without_purl(rows) == EXPECTED_IMAGE
    assert all(r["purl"] and r["purl"].startswith(("pkg:deb/debian/", "pkg:pypi/")) for r in rows)


def test_sbom_known_answers(platform: Platform, tmp_path: Path) -> None:
    AdvisoryDatabase(platform).import_source(FIXTURES)
    sbom = build_sbom(tmp_path / "bom.cdx.json")
    from assetguard.vulns.reports import sort_matches

    pkgs = inputs.packages_of_items(inputs.sbom_items(sbom))
    rows = [m.contract() for m in sort_matches(VulnerabilityScanner(platform).match_packages(pkgs))]
    assert _without_purl(rows) == EXPECTED_SBOM
    assert rows[0]["purl"] == "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"


def test_cli_image_and_sbom_json(cli_env: Platform, tmp_path: Path) -> None:
    AdvisoryDatabase(cli_env).import_source(FIXTURES)
    image = build_image(tmp_path / "app.tar")
    sbom = build_sbom(tmp_path / "bom.cdx.json")
    runner = CliRunner()
    result = runner.invoke(app, ["scan", "vulns", "--image", str(image), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert _without_purl(json.loads(result.stdout)) == EXPECTED_IMAGE
    result = runner.invoke(app, ["scan", "vulns", "--sbom", str(sbom), "--format", "json", "--fail-on", "critical"],
                           catch_exceptions=False)
    assert result.exit_code == 1
    assert _without_purl(json.loads(result.stdout)) == EXPECTED_SBOM


def test_host_root_known_answers(platform: Platform, tmp_path: Path) -> None:
    """``--host`` reads this machine through the host collector; here an offline root stands in."""
    AdvisoryDatabase(platform).import_source(FIXTURES)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text(OS_RELEASE)
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(dpkg_status("5.2.15-2+b1"))
    from assetguard.vulns.reports import sort_matches

    pkgs = inputs.packages_of_items(inputs.host_items(root))
    got = [(m.package, m.id, m.fixed) for m in sort_matches(VulnerabilityScanner(platform).match_packages(pkgs))]
    assert got == [("libssl3", "DEBIAN-CVE-2099-1001", "3.0.11-1~deb12u2"),
                   ("curl", "DEBIAN-CVE-2099-1007", "7.88.1-10"),
                   ("bash", "DEBIAN-CVE-2099-1003", "5.2.15-2+b2"),   # not upgraded on this host
                   ("tar", "DEBIAN-CVE-2099-1006", None)]
