"""Package URLs → OSV ecosystems, for SBOMs and anything else that only gives a purl.

    >>> ecosystem_for_purl("pkg:deb/debian/openssl@3.0.11-1?distro=debian-12")
    'Debian:12'
    >>> ecosystem_for_purl("pkg:golang/github.com/gin-gonic/gin@v1.9.0")
    'Go'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

SIMPLE = {"pypi": "PyPI", "npm": "npm", "golang": "Go", "maven": "Maven", "cargo": "crates.io", "gem": "RubyGems",
          "nuget": "NuGet", "composer": "Packagist", "hex": "Hex", "pub": "Pub", "swift": "SwiftURL",
          "cocoapods": "CocoaPods"}
CODENAMES = {"trixie": "13", "bookworm": "12", "bullseye": "11", "buster": "10", "stretch": "9",
             "noble": "24.04", "jammy": "22.04", "focal": "20.04", "bionic": "18.04"}


@dataclass
class PackageURL:
    type: str
    namespace: str | None
    name: str
    version: str | None
    qualifiers: dict[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        """The name as its ecosystem spells it (``@scope/pkg``, ``group:artifact``, ``github.com/x/y``)."""
        if not self.namespace:
            return self.name
        if self.type == "maven":
            return f"{self.namespace}:{self.name}"
        if self.type in ("npm", "golang", "composer", "swift"):
            return f"{self.namespace}/{self.name}"
        return self.name


def parse_purl(purl: str) -> PackageURL:
    """Parse ``pkg:type/namespace/name@version?qualifiers#subpath``; ValueError when it is not one."""
    if not purl.startswith("pkg:"):
        raise ValueError(f"not a package URL: {purl!r}")
    rest = purl[4:].lstrip("/").split("#", 1)[0]
    rest, _, query = rest.partition("?")
    qualifiers = {}
    for pair in query.split("&") if query else []:
        key, _, value = pair.partition("=")
        qualifiers[key.lower()] = unquote(value)
    ptype, _, path = rest.partition("/")
    if not ptype or not path:
        raise ValueError(f"package URL without a type or name: {purl!r}")
    path, at, version = path.rpartition("@") if "@" in path.rsplit("/", 1)[-1] else (path, "", "")
    segments = [unquote(s) for s in path.split("/") if s]
    if not segments:
        raise ValueError(f"package URL without a name: {purl!r}")
    return PackageURL(ptype.lower(), "/".join(segments[:-1]) or None, segments[-1], unquote(version) if at else None,
                      qualifiers)


def _distro_version(qualifiers: dict[str, str]) -> tuple[str | None, str | None]:
    distro = qualifiers.get("distro")
    if not distro:
        return None, None
    name, _, version = distro.partition("-")
    if not version:
        return None, CODENAMES.get(name, name if name[:1].isdigit() else None)
    return name, version


def ecosystem_for_purl(purl: str | PackageURL) -> str | None:
    p = parse_purl(purl) if isinstance(purl, str) else purl
    if p.type in SIMPLE:
        return SIMPLE[p.type]
    _name, version = _distro_version(p.qualifiers)
    ns = (p.namespace or "").lower()
    if p.type == "deb":
        base = "Ubuntu" if ns == "ubuntu" else "Debian"
        if version:
            return f"{base}:{version.split('.')[0] if base == 'Debian' else version}"
        return base
    if p.type == "apk":
        if version:
            return f"Alpine:v{'.'.join(version.lstrip('v').split('.')[:2])}"
        return "Alpine"
    if p.type == "rpm":
        return {"rocky": "Rocky Linux", "almalinux": "AlmaLinux", "opensuse": "openSUSE", "suse": "SUSE"}.get(ns, "Red Hat")
    return None
