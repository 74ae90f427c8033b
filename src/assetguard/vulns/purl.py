"""Package URLs (purl) as package identity: parse, and map purl types to OSV ecosystems.

A package from the inventory carries ``purl``; when its ``ecosystem`` or ``name`` is missing
(some SBOMs), they are derived from the purl::

    >>> identity({"purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"})
    ('Maven', 'org.apache.logging.log4j:log4j-core', '2.14.1')
    >>> identity({"purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12"})
    ('Debian:12', 'libssl3', '3.0.11-1~deb12u1')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

_TYPES = {"pypi": "PyPI", "npm": "npm", "golang": "Go", "maven": "Maven", "cargo": "crates.io",
          "gem": "RubyGems", "hex": "Hex", "pub": "Pub", "nuget": "NuGet", "composer": "Packagist"}
_DISTROS = {"debian": "Debian", "ubuntu": "Ubuntu", "alpine": "Alpine", "redhat": "Red Hat",
            "almalinux": "AlmaLinux", "rocky": "Rocky Linux", "opensuse": "openSUSE", "wolfi": "Wolfi"}


@dataclass(frozen=True)
class PackageURL:
    type: str
    namespace: str | None
    name: str
    version: str | None
    qualifiers: dict[str, str]


def parse(purl: str) -> PackageURL:
    """Parse ``pkg:type/namespace/name@version?qualifiers#subpath``; ValueError if not a purl."""
    if not purl.startswith("pkg:"):
        raise ValueError(f"not a package URL: {purl!r}")
    rest = purl[4:].split("#", 1)[0]
    qualifiers: dict[str, str] = {}
    if "?" in rest:
        rest, query = rest.split("?", 1)
        for pair in query.split("&"):
            if "=" in pair:
                k, v = pair.split("=", 1)
                qualifiers[k.lower()] = unquote(v)
    version = None
    if "@" in rest:
        rest, version = rest.rsplit("@", 1)
        version = unquote(version)
    parts = [unquote(p) for p in rest.strip("/").split("/") if p]
    if len(parts) < 2:
        raise ValueError(f"package URL {purl!r} needs a type and a name")
    ptype = parts[0].lower()
    namespace = "/".join(parts[1:-1]) or None
    return PackageURL(ptype, namespace, parts[-1], version, qualifiers)


def _distro_ecosystem(p: PackageURL) -> str | None:
    base = _DISTROS.get((p.namespace or "").lower())
    if base is None:
        return None
    distro = p.qualifiers.get("distro", "")
    release = distro.split("-", 1)[1] if "-" in distro else distro
    if base == "Alpine" and release and not release.startswith("v"):
        release = "v" + ".".join(release.split(".")[:2])
    return f"{base}:{release}" if release else base


def ecosystem_and_name(p: PackageURL) -> tuple[str | None, str]:
    if p.type in ("deb", "apk", "rpm"):
        return _distro_ecosystem(p), p.name
    eco = _TYPES.get(p.type)
    if p.type == "maven":
        return eco, f"{p.namespace}:{p.name}" if p.namespace else p.name
    if p.type in ("golang", "npm") and p.namespace:
        return eco, f"{p.namespace}/{p.name}"
    return eco, p.name


def identity(package: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(ecosystem, name, version) of an inventory package dict, filling gaps from its purl."""
    eco, name, version = package.get("ecosystem"), package.get("name"), package.get("version")
    if (not eco or not name or not version) and isinstance(package.get("purl"), str):
        try:
            p = parse(package["purl"])
        except ValueError:
            return eco, name, version
        peco, pname = ecosystem_and_name(p)
        eco, name, version = eco or peco, name or pname, version or p.version
    return eco, name, version
