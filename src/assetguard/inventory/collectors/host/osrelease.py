"""``/etc/os-release`` and the OSV ecosystem it implies.

    >>> osv_ecosystem({"id": "debian", "versionId": "12"})
    'Debian:12'
    >>> osv_ecosystem({"id": "alpine", "versionId": "3.19.1"})
    'Alpine:v3.19'
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

KEYS = {"ID": "id", "VERSION_ID": "versionId", "PRETTY_NAME": "prettyName", "VERSION_CODENAME": "versionCodename",
        "ID_LIKE": "idLike", "NAME": "name"}


def read_os_release(root: Path) -> dict[str, Any]:
    for rel in ("etc/os-release", "usr/lib/os-release"):
        path = root / rel
        if path.is_file():
            return parse_os_release(path.read_text(encoding="utf-8", errors="replace"))
    return {}


def parse_os_release(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#") or key not in KEYS:
            continue
        try:
            parts = shlex.split(value)
        except ValueError:
            parts = [value.strip("\"'")]
        out[KEYS[key]] = parts[0] if parts else ""
    return out


def osv_ecosystem(release: dict[str, Any]) -> str | None:
    """The OSV ecosystem for the distribution's own packages, or None when unknown."""
    distro = (release.get("id") or "").lower()
    version = release.get("versionId") or ""
    if distro == "debian":
        return f"Debian:{version.split('.')[0]}" if version else "Debian"
    if distro == "ubuntu":
        return f"Ubuntu:{version}" if version else "Ubuntu"
    if distro == "alpine":
        return f"Alpine:v{'.'.join(version.split('.')[:2])}" if version else "Alpine"
    if distro in ("rhel", "centos", "redhat"):
        return "Red Hat"
    if distro == "rocky":
        return "Rocky Linux"
    if distro == "almalinux":
        return "AlmaLinux"
    like = (release.get("idLike") or "").split()
    if "debian" in like:
        return "Debian"
    if "rhel" in like or "fedora" in like:
        return "Red Hat"
    return None


def purl_distro(release: dict[str, Any]) -> str | None:
    distro = release.get("id")
    version = release.get("versionId")
    return f"{distro}-{version}" if distro and version else distro
