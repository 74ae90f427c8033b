"""Installed packages under a root directory: dpkg, apk, rpm (``rpmdb.sqlite``), Python
distributions (``*.dist-info``/``*.egg-info``) and npm packages (``node_modules``).

Each reader returns :class:`~assetguard.inventory.model.Package` dicts::

    read_dpkg(Path("/"), "Debian:12", "debian-12")[0]
    # {'name': 'adduser', 'version': '3.134', 'ecosystem': 'Debian:12', 'purl': 'pkg:deb/debian/adduser@3.134?...',
    #  'source': None, 'location': '/var/lib/dpkg/status'}

Also used by the ``image`` collector on an unpacked image filesystem.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
from collections.abc import Iterator
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from assetguard.inventory.model import Package, PackageSource, npm_package, purl_for, python_package

SKIP_DIRS = frozenset({"proc", "sys", "dev", "run", "tmp", ".git", "__pycache__"})


def _stanzas(text: str) -> Iterator[dict[str, str]]:
    """RFC 822-style stanzas separated by blank lines (dpkg status; apk uses ``X:value``)."""
    current: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                yield current
            current, last = {}, None
            continue
        if line[0] in " \t" and last:
            current[last] += "\n" + line.strip()
            continue
        key, _, value = line.partition(":")
        current[key] = value.strip()
        last = key
    if current:
        yield current


def _rel(root: Path, path: Path) -> str:
    return "/" + path.relative_to(root).as_posix()


def read_dpkg(root: Path, ecosystem: str | None, distro: str | None) -> list[dict[str, Any]]:
    files = [root / "var/lib/dpkg/status"]
    status_d = root / "var/lib/dpkg/status.d"  # distroless images: one file per package
    if status_d.is_dir():
        files += sorted(p for p in status_d.iterdir() if p.is_file() and not p.name.endswith(".md5sums"))
    namespace = (distro or "debian").split("-")[0]
    out = []
    for path in files:
        if not path.is_file():
            continue
        for st in _stanzas(path.read_text(encoding="utf-8", errors="replace")):
            if "Package" not in st or "Version" not in st:
                continue
            if path.name == "status" and "installed" not in st.get("Status", "install ok installed").split():
                continue
            source = None
            if st.get("Source"):
                sname, _, sver = st["Source"].partition(" ")
                source = PackageSource(name=sname, version=sver.strip("()") or st["Version"])
            qualifiers = {"arch": st.get("Architecture", ""), "distro": distro or ""}
            out.append(Package(name=st["Package"], version=st["Version"], ecosystem=ecosystem or "Debian",
                               purl=purl_for("deb", st["Package"], st["Version"], namespace, qualifiers),
                               source=source, location=_rel(root, path)).model_dump())
    return out


def read_apk(root: Path, ecosystem: str | None, distro: str | None) -> list[dict[str, Any]]:
    path = root / "lib/apk/db/installed"
    if not path.is_file():
        return []
    out = []
    for st in _stanzas(path.read_text(encoding="utf-8", errors="replace")):
        if "P" not in st or "V" not in st:
            continue
        origin = st.get("o")
        out.append(Package(name=st["P"], version=st["V"], ecosystem=ecosystem or "Alpine",
                           purl=purl_for("apk", st["P"], st["V"], "alpine",
                                         {"arch": st.get("A", ""), "distro": distro or ""}),
                           source=PackageSource(name=origin, version=st["V"]) if origin else None,
                           location=_rel(root, path)).model_dump())
    return out


# rpm header tags and types (rpm's on-disk header format: big-endian index + data store)
RPMTAG_NAME, RPMTAG_VERSION, RPMTAG_RELEASE, RPMTAG_EPOCH, RPMTAG_ARCH, RPMTAG_SOURCERPM = 1000, 1001, 1002, 1003, 1022, 1044
RPM_INT32, RPM_STRING = 4, 6


def parse_rpm_header(blob: bytes) -> dict[int, Any]:
    """Decode the tags we need from one header blob as stored in ``rpmdb.sqlite``."""
    count, size = struct.unpack(">II", blob[:8])
    store = 8 + 16 * count
    if store + size > len(blob):
        raise ValueError("truncated rpm header")
    out: dict[int, Any] = {}
    for i in range(count):
        tag, kind, offset, n = struct.unpack(">iIiI", blob[8 + 16 * i: 24 + 16 * i])
        if tag not in (RPMTAG_NAME, RPMTAG_VERSION, RPMTAG_RELEASE, RPMTAG_EPOCH, RPMTAG_ARCH, RPMTAG_SOURCERPM):
            continue
        start = store + offset
        if kind == RPM_STRING:
            end = blob.index(b"\0", start)
            out[tag] = blob[start:end].decode("utf-8", "replace")
        elif kind == RPM_INT32 and n >= 1:
            out[tag] = struct.unpack(">i", blob[start:start + 4])[0]
    return out


def read_rpm(root: Path, ecosystem: str | None, distro: str | None) -> list[dict[str, Any]]:
    path = root / "var/lib/rpm/rpmdb.sqlite"
    if not path.is_file():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        blobs = [r[0] for r in conn.execute("SELECT blob FROM Packages")]
    finally:
        conn.close()
    out = []
    namespace = (distro or "redhat").split("-")[0]
    for blob in blobs:
        tags = parse_rpm_header(bytes(blob))
        name = tags.get(RPMTAG_NAME)
        if not name or name == "gpg-pubkey":
            continue
        version = f"{tags.get(RPMTAG_VERSION, '')}-{tags.get(RPMTAG_RELEASE, '')}"
        if tags.get(RPMTAG_EPOCH):
            version = f"{tags[RPMTAG_EPOCH]}:{version}"
        source = None
        srpm = tags.get(RPMTAG_SOURCERPM)
        if srpm:
            base = srpm.removesuffix(".src.rpm").removesuffix(".nosrc.rpm")
            sname, _, rest = base.rpartition("-")
            sname, _, sver = sname.rpartition("-")
            source = PackageSource(name=sname, version=f"{sver}-{rest}")
        out.append(Package(name=name, version=version, ecosystem=ecosystem or "Red Hat",
                           purl=purl_for("rpm", name, version, namespace,
                                         {"arch": str(tags.get(RPMTAG_ARCH, "")), "distro": distro or ""}),
                           source=source, location=_rel(root, path)).model_dump())
    return out


def _python_dist(root: Path, meta_dir: Path) -> dict[str, Any] | None:
    meta = meta_dir / ("METADATA" if meta_dir.suffix == ".dist-info" else "PKG-INFO")
    if not meta.is_file():
        return None
    headers = HeaderParser().parsestr(meta.read_text(encoding="utf-8", errors="replace"), headersonly=True)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        return None
    return python_package(name.strip(), version.strip(), _rel(root, meta_dir))


def _npm(root: Path, package_json: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(package_json.read_text(encoding="utf-8", errors="replace"))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("version"), str):
        return None
    return npm_package(data["name"], data["version"], _rel(root, package_json.parent))


def read_language_packages(root: Path, bases: tuple[str, ...] = ("usr/lib", "usr/local/lib", "usr/lib64", "usr/share",
                                                                   "opt", "srv", "app", "home", "root")
                           ) -> list[dict[str, Any]]:
    """Python distributions in site-/dist-packages and npm packages in node_modules under ``bases``."""
    out: list[dict[str, Any]] = []
    for base in bases:
        start = root / base
        if not start.is_dir() or start.is_symlink():
            continue
        for dirpath, dirnames, _files in os.walk(start):
            here = Path(dirpath)
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            if here.name in ("site-packages", "dist-packages"):
                for d in sorted(dirnames):
                    if d.endswith((".dist-info", ".egg-info")):
                        pkg = _python_dist(root, here / d)
                        if pkg:
                            out.append(pkg)
            if here.name == "node_modules":
                for d in sorted(dirnames):
                    candidates = [here / d] if not d.startswith("@") else sorted(
                        p for p in (here / d).iterdir() if p.is_dir())
                    for c in candidates:
                        if (c / "package.json").is_file():
                            pkg = _npm(root, c / "package.json")
                            if pkg:
                                out.append(pkg)
    return out
