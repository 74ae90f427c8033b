"""The host collector on Debian-like, Alpine-like and rpm fixture roots, and on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assetguard.core.errors import ValidationError
from assetguard.inventory.collectors.host.collector import HostCollector, HostCollectorConfig
from assetguard.inventory.collectors.host.sshd import parse_sshd_text
from assetguard.inventory.runner import run_collection
from assetguard.inventory.service import InventoryService
from tests.inventory.rootfs import alpine_root, debian_root, rpm_root, write


def collect(root: Path) -> dict[str, Any]:
    result = HostCollector().collect(HostCollectorConfig(root=str(root)))
    assert result.errors == []
    assert len(result.items) == 1
    return result.items[0]


def pkgs(ci: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["ecosystem"], p["name"]): p for p in ci["configuration"]["packages"]}


def test_debian_root(tmp_path: Path) -> None:
    ci = collect(debian_root(tmp_path))
    c = ci["configuration"]
    assert ci["resourceType"] == "AssetGuard::Host::Linux"
    assert ci["arn"] == "urn:assetguard:host:0123456789abcdef0123456789abcdef"
    assert ci["resourceName"] == "web-1"
    assert c["osRelease"]["id"] == "debian" and c["osRelease"]["versionId"] == "12"
    assert c["kernel"] == {"release": "6.1.0-13-amd64", "source": "lib/modules"}
    assert c["ecosystem"] == "Debian:12"

    p = pkgs(ci)
    assert ("Debian:12", "removed-pkg") not in p
    assert p[("Debian:12", "openssl")] == {
        "name": "openssl", "version": "3.0.11-1~deb12u2", "ecosystem": "Debian:12",
        "purl": "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", "source": None,
        "location": "/var/lib/dpkg/status"}
    assert p[("Debian:12", "libssl3")]["source"] == {"name": "openssl", "version": "3.0.11-1~deb12u2"}
    assert p[("Debian:12", "bsdutils")]["source"] == {"name": "util-linux", "version": "1:2.38.1-5+b1"}
    assert p[("PyPI", "requests")]["purl"] == "pkg:pypi/requests@2.28.1"
    assert p[("PyPI", "Django")]["location"] == "/opt/app/venv/lib/python3.11/site-packages/Django-4.2.1.dist-info"
    assert p[("npm", "lodash")]["purl"] == "pkg:npm/lodash@4.17.20"
    assert p[("npm", "@babel/core")]["purl"] == "pkg:npm/%40babel/core@7.22.0"
    assert p[("npm", "semver")]["location"] == "/opt/app/node_modules/@babel/core/node_modules/semver"
    assert c["packageCounts"] == {"deb": 3, "pypi": 2, "npm": 3}

    assert c["uid0Accounts"] == ["root", "toor"]
    assert c["emptyPasswordAccounts"] == ["nopw"]
    users = {u["name"]: u for u in c["users"]}
    assert users["alice"]["passwordStatus"] == "locked" and users["daemon"]["loginShell"] is False
    assert users["root"]["shell"] == "/bin/bash" and users["root"]["loginShell"] is True
    assert {"name": "sudo", "gid": 27, "members": ["alice"]} in c["groups"]

    sshd = c["sshd"]
    assert sshd["present"] is True
    assert sshd["configFiles"] == ["/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/10-hardening.conf"]
    s = sshd["settings"]
    # The include comes first, so its PasswordAuthentication wins over the later "yes".
    assert s["passwordauthentication"] == "no"
    assert s["permitrootlogin"] == "no"
    assert s["maxauthtries"] == "3"
    assert s["port"] == ["2222", "22"]
    assert s["x11forwarding"] == "no" and s["permitemptypasswords"] == "no"  # defaults
    assert sshd["matchBlocks"] == [{"criteria": "User backup",
                                    "settings": {"passwordauthentication": "no", "permitrootlogin": "yes"}}]

    pol = c["passwordPolicy"]
    assert pol["loginDefs"] == {"PASS_MAX_DAYS": 90, "PASS_MIN_DAYS": 1, "PASS_WARN_AGE": 7, "ENCRYPT_METHOD": "YESCRYPT"}
    assert pol["pwquality"] == {"minlen": 14, "dcredit": -1, "enforce_for_root": True}
    assert pol["faillock"] == {"deny": 5, "unlock_time": 900}
    assert pol["pam"]["pam_pwquality.so"][0]["args"] == {"retry": 3, "minlen": 12}
    assert pol["pam"]["pam_unix.so"][0]["args"] == {"nullok": True}
    assert pol["lockout"] == {"module": "pam_faillock.so", "deny": 5, "unlockTime": 900}

    perms = c["filePermissions"]
    assert perms["/etc/shadow"]["mode"] == "0640"
    assert perms["/etc/hosts"]["mode"] == "0666"
    assert perms["/etc/cron.d/backup"]["mode"] == "0777"
    assert perms["/etc/passwd"]["type"] == "file"
    assert "/usr/share/doc/open.txt" in c["worldWritableFiles"]
    assert "/etc/hosts" in c["worldWritableFiles"]
    assert "/usr/tmp-open/" in c["worldWritableFiles"]
    assert "/usr/tmp-sticky/" not in c["worldWritableFiles"]
    assert [(s["path"], s["setuid"], s["setgid"]) for s in c["suidBinaries"]] == [
        ("/usr/bin/passwd", True, False), ("/usr/bin/wall", False, True)]
    assert c["listeningPorts"] == [{"protocol": "tcp", "address": "0.0.0.0", "port": 22},
                                   {"protocol": "tcp6", "address": "::", "port": 80},
                                   {"protocol": "tcp", "address": "127.0.0.1", "port": 5432}]


def test_alpine_root(tmp_path: Path) -> None:
    ci = collect(alpine_root(tmp_path))
    c = ci["configuration"]
    assert c["ecosystem"] == "Alpine:v3.19"
    p = pkgs(ci)
    assert p[("Alpine:v3.19", "libcrypto3")] == {
        "name": "libcrypto3", "version": "3.1.4-r5", "ecosystem": "Alpine:v3.19",
        "purl": "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1",
        "source": {"name": "openssl", "version": "3.1.4-r5"}, "location": "/lib/apk/db/installed"}
    assert ("PyPI", "urllib3") in p
    assert c["emptyPasswordAccounts"] == ["root"]
    assert c["sshd"]["present"] is False
    assert ci["resourceName"] == "alpine-box"
    assert ci["arn"].startswith("urn:assetguard:host:")  # derived id: no machine-id in the root
    assert collect(tmp_path)["arn"] == ci["arn"]  # and stable


def test_rpm_root(tmp_path: Path) -> None:
    ci = collect(rpm_root(tmp_path))
    p = pkgs(ci)
    assert list(p) == [("Rocky Linux", "openssl-libs")]
    assert p[("Rocky Linux", "openssl-libs")]["version"] == "1:3.0.7-25.el9_3"
    assert p[("Rocky Linux", "openssl-libs")]["source"] == {"name": "openssl", "version": "3.0.7-25.el9_3"}
    assert p[("Rocky Linux", "openssl-libs")]["purl"].startswith("pkg:rpm/rocky/openssl-libs@1:3.0.7-25.el9_3?arch=x86_64")


def test_real_machine() -> None:
    result = HostCollector().collect(HostCollectorConfig(root="/", scan_filesystem=False))
    ci = result.items[0]
    c = ci["configuration"]
    assert c["kernel"]["source"] == "uname" and c["kernel"]["release"]
    assert c["hostname"]
    assert "root" in c["uid0Accounts"]
    assert c["filePermissions"]["/etc/passwd"]["owner"] == "root"
    if Path("/var/lib/dpkg/status").exists():
        assert c["packageCounts"].get("deb", 0) > 10
        assert c["ecosystem"] and all(p["ecosystem"] for p in c["packages"])
    assert isinstance(c["listeningPorts"], list)


def test_sshd_first_value_wins_and_equals_syntax() -> None:
    s = parse_sshd_text("PermitRootLogin=yes\nPermitRootLogin no\nClientAliveInterval = 300\n")
    assert s["permitrootlogin"] == "yes" and s["clientaliveinterval"] == "300"


def test_host_collection_history(tmp_path: Path, platform: Any) -> None:
    root = debian_root(tmp_path / "root")
    first = run_collection(platform, "host", {"root": str(root)})
    assert first.created == 1
    assert run_collection(platform, "host", {"root": str(root)}).unchanged == 1
    write(root, "var/lib/dpkg/status", (root / "var/lib/dpkg/status").read_text().replace(
        "Version: 3.0.11-1~deb12u2\nDescription", "Version: 3.0.13-1~deb12u1\nDescription"))
    third = run_collection(platform, "host", {"root": str(root)})
    assert third.updated == 1
    arn = "urn:assetguard:host:0123456789abcdef0123456789abcdef"
    hist = InventoryService(platform).history(arn)
    changed = hist[0]["diff"]["changedProperties"]
    # packages are sorted (ecosystem, name): bsdutils, libssl3, openssl, ...
    assert changed == {
        "configuration.packages[2].version": {"previousValue": "3.0.11-1~deb12u2", "updatedValue": "3.0.13-1~deb12u1",
                                              "changeType": "UPDATE"},
        "configuration.packages[2].purl": {
            "previousValue": "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
            "updatedValue": "pkg:deb/debian/openssl@3.0.13-1~deb12u1?arch=amd64&distro=debian-12",
            "changeType": "UPDATE"}}


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a directory"):
        HostCollector().collect(HostCollectorConfig(root=str(tmp_path / "nope")))


def test_a_broken_package_database_is_a_partial_result(tmp_path: Path, platform: Any) -> None:
    root = debian_root(tmp_path / "root")
    first = run_collection(platform, "host", {"root": str(root), "scan_filesystem": False})
    assert first.created == 1
    write(root, "var/lib/rpm/rpmdb.sqlite", "this is not sqlite")
    result = HostCollector().collect(HostCollectorConfig(root=str(root), scan_filesystem=False))
    assert [(e.where.rsplit("/", 1)[-1], e.code) for e in result.errors] == [("packages", "ReadFailed")]
    assert result.items == [] and result.scope == set()
    summary = run_collection(platform, "host", {"root": str(root), "scan_filesystem": False})
    assert summary.status == "PARTIAL" and summary.errors[0].code == "ReadFailed"
    assert (summary.updated, summary.deleted) == (0, 0)
    stored = InventoryService(platform).get("urn:assetguard:host:0123456789abcdef0123456789abcdef")
    assert len(stored["configuration"]["packages"]) == 8  # the last good read is kept
