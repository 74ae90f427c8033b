"""The ``host`` collector: one ``AssetGuard::Host::Linux`` configuration item for this machine
(``root: /``) or an offline root directory (``root: /mnt/image``).

    assetguard inventory collect --source host                 # this machine
    assetguard inventory collect --source host --root /srv/vm1 # a mounted disk or unpacked image

``configuration`` keys: ``hostname, osRelease, kernel, ecosystem, packages, packageCounts,
listeningPorts, users, groups, uid0Accounts, emptyPasswordAccounts, shadowReadable, sshd,
passwordPolicy, filePermissions, worldWritableFiles, suidBinaries`` (see docs/inventory-shapes.md).
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import struct
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from assetguard.core.clock import utcnow
from assetguard.core.errors import ValidationError
from assetguard.inventory.collectors.base import CollectionResult, Progress, collectors
from assetguard.inventory.collectors.host import accounts, files, packages, policy, sshd
from assetguard.inventory.collectors.host.osrelease import osv_ecosystem, purl_distro, read_os_release
from assetguard.inventory.model import HOST_TYPE
from assetguard.inventory.service import CollectionError


class HostCollectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    root: str = "/"
    scan_filesystem: bool = True  # world-writable and SUID walk over system directories


def machine_id(root: Path, hostname: str) -> str:
    for rel in ("etc/machine-id", "var/lib/dbus/machine-id"):
        try:
            value = (root / rel).read_text().strip()
        except OSError:
            continue
        if value:
            return value
    # No machine-id (containers, minimal images): derive a stable id from what identifies the root.
    return hashlib.sha256(f"{hostname}|{root.resolve()}".encode()).hexdigest()[:32]


def kernel_release(root: Path, live: bool) -> dict[str, Any]:
    if live:
        return {"release": os.uname().release, "source": "uname"}
    candidates = sorted(p.name for p in (root / "lib/modules").glob("*")) if (root / "lib/modules").is_dir() else []
    if not candidates and (root / "boot").is_dir():
        candidates = sorted(p.name.removeprefix("vmlinuz-") for p in (root / "boot").glob("vmlinuz-*"))
    return {"release": candidates[-1] if candidates else None, "source": "lib/modules" if candidates else None}


def read_hostname(root: Path, live: bool) -> str:
    if live:
        return socket.gethostname()
    try:
        return (root / "etc/hostname").read_text().strip() or root.name
    except OSError:
        return root.name or "unknown"


@collectors.register("host")
class HostCollector:
    """Collect OS, packages, accounts, sshd, password policy and file-system facts of a Linux root."""

    name: ClassVar[str] = "host"
    Config: ClassVar[type[BaseModel]] = HostCollectorConfig
    permissions: ClassVar[tuple[str, ...]] = ()

    def collect(self, config: HostCollectorConfig, progress: Progress | None = None) -> CollectionResult:
        root = Path(config.root)
        if not root.is_dir():
            raise ValidationError("host root is not a directory", where=str(root))
        live = root.resolve() == Path("/")
        result = CollectionResult()
        config_out, errors = self.describe(root, live, config.scan_filesystem, progress)
        hostname = config_out["hostname"]
        mid = machine_id(root, hostname)
        arn = f"urn:assetguard:host:{mid}"
        result.errors.extend(CollectionError(f"{arn}/{part}", "ReadFailed", msg) for part, msg in errors)
        if errors:
            # The host is one item: storing it with a part missing would record that part as
            # removed (e.g. every package gone). Keep the stored version until a clean read.
            return result
        result.items.append({
            "arn": arn, "resourceType": HOST_TYPE, "resourceId": mid, "resourceName": hostname,
            "configurationItemCaptureTime": utcnow().isoformat(), "tags": {}, "relationships": [],
            "configuration": config_out,
            "supplementaryConfiguration": {"collectedFrom": "live" if live else str(root)},
        })
        result.scope.add(arn)
        return result

    def describe(self, root: Path, live: bool, scan: bool, progress: Progress | None = None
                 ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The host's ``configuration``; each failing part is reported and left empty."""
        group = f"host:{root}"
        errors: list[tuple[str, str]] = []
        release = read_os_release(root)
        ecosystem = osv_ecosystem(release)
        distro = purl_distro(release)
        config: dict[str, Any] = {"hostname": read_hostname(root, live), "osRelease": release,
                                  "kernel": kernel_release(root, live), "ecosystem": ecosystem}
        steps: list[tuple[str, Any]] = [
            ("packages", lambda: packages.read_dpkg(root, ecosystem, distro) + packages.read_apk(root, ecosystem, distro)
             + packages.read_rpm(root, ecosystem, distro) + packages.read_language_packages(root)),
            ("accounts", lambda: accounts.read_accounts(root)),
            ("listeningPorts", lambda: files.listening_ports(root)),
            ("sshd", lambda: sshd.read_sshd(root)),
            ("passwordPolicy", lambda: policy.read_password_policy(root)),
            ("filePermissions", lambda: files.sensitive_permissions(root, *accounts.id_names(root))),
        ]
        if scan:
            steps.append(("filesystem", lambda: files.scan_system_dirs(root)))
        for done, (name, step) in enumerate(steps):
            if progress:
                progress(group, name, done, len(steps))
            try:
                value = step()
            except (OSError, ValueError, UnicodeError, struct.error, sqlite3.Error) as exc:
                errors.append((name, f"{type(exc).__name__}: {exc}"))
                value = None
            if name == "packages":
                pkgs = sorted(value or [], key=lambda p: (p["ecosystem"], p["name"], p["version"], p["location"] or ""))
                config["packages"] = pkgs
                config["packageCounts"] = dict(Counter(_manager(p) for p in pkgs))
            elif name in ("accounts", "filesystem"):
                config.update(value or {})
            else:
                config[name] = value
        if progress:
            progress(group, "done", len(steps), len(steps))
        return config, errors


def _manager(pkg: dict[str, Any]) -> str:
    purl = pkg.get("purl") or ""
    return purl[4:].split("/", 1)[0] if purl.startswith("pkg:") else pkg["ecosystem"]
