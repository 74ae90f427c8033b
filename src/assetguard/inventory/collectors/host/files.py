"""File-system facts: permissions of sensitive files, world-writable files and SUID/SGID binaries
in system directories, and listening TCP ports from ``/proc/net/tcp{,6}``."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

SENSITIVE = ("etc/passwd", "etc/shadow", "etc/group", "etc/gshadow", "etc/hosts", "etc/crontab",
             "etc/ssh/sshd_config")
CRON_DIRS = ("etc/cron.d", "etc/cron.hourly", "etc/cron.daily", "etc/cron.weekly", "etc/cron.monthly",
             "var/spool/cron/crontabs", "var/spool/cron")
SYSTEM_DIRS = ("bin", "sbin", "usr", "lib", "lib64", "etc", "boot", "opt")
LIMIT = 1000  # per list, so a badly broken host does not produce a giant item


def file_facts(root: Path, rel: str, users: dict[int, str], groups: dict[int, str]) -> dict[str, Any] | None:
    try:
        st = os.lstat(root / rel)
    except OSError:
        return None
    return {"mode": f"{stat.S_IMODE(st.st_mode):04o}", "uid": st.st_uid, "gid": st.st_gid,
            "owner": users.get(st.st_uid), "group": groups.get(st.st_gid),
            "type": "directory" if stat.S_ISDIR(st.st_mode) else "symlink" if stat.S_ISLNK(st.st_mode) else "file"}


def sensitive_permissions(root: Path, users: dict[int, str], groups: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rel in SENSITIVE:
        facts = file_facts(root, rel, users, groups)
        if facts:
            out["/" + rel] = facts
    for rel in CRON_DIRS:
        base = root / rel
        if not base.is_dir():
            continue
        for path in [base, *sorted(p for p in base.iterdir() if not p.is_dir())]:
            relpath = path.relative_to(root).as_posix()
            facts = file_facts(root, relpath, users, groups)
            if facts:
                out["/" + relpath] = facts
    return out


def scan_system_dirs(root: Path, dirs: tuple[str, ...] = SYSTEM_DIRS) -> dict[str, list[Any]]:
    """World-writable files (and world-writable directories without the sticky bit) and SUID/SGID files."""
    writable: list[str] = []
    suid: list[dict[str, Any]] = []
    for base in dirs:
        start = root / base
        if not start.is_dir() or start.is_symlink():
            continue
        device = os.lstat(start).st_dev
        for dirpath, dirnames, filenames in os.walk(start):
            kept = []
            for d in dirnames:
                try:
                    st = os.lstat(os.path.join(dirpath, d))
                except OSError:
                    continue
                if stat.S_ISLNK(st.st_mode) or st.st_dev != device:
                    continue
                if st.st_mode & stat.S_IWOTH and not st.st_mode & stat.S_ISVTX and len(writable) < LIMIT:
                    writable.append("/" + Path(dirpath, d).relative_to(root).as_posix() + "/")
                kept.append(d)
            dirnames[:] = kept
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                rel = "/" + Path(path).relative_to(root).as_posix()
                if st.st_mode & stat.S_IWOTH and len(writable) < LIMIT:
                    writable.append(rel)
                if st.st_mode & (stat.S_ISUID | stat.S_ISGID) and len(suid) < LIMIT:
                    suid.append({"path": rel, "mode": f"{stat.S_IMODE(st.st_mode):04o}", "uid": st.st_uid,
                                 "setuid": bool(st.st_mode & stat.S_ISUID), "setgid": bool(st.st_mode & stat.S_ISGID)})
    return {"worldWritableFiles": sorted(writable), "suidBinaries": sorted(suid, key=lambda s: s["path"])}


def _decode_address(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return ".".join(str(b) for b in raw[::-1])
    # IPv6 in /proc is four little-endian 32-bit words.
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
    full = b"".join(words)
    import ipaddress

    return str(ipaddress.IPv6Address(full))


def listening_ports(root: Path) -> list[dict[str, Any]]:
    """TCP sockets in state LISTEN (``0A``) from ``<root>/proc/net/tcp`` and ``tcp6``."""
    found = set()
    for proto, rel in (("tcp", "proc/net/tcp"), ("tcp6", "proc/net/tcp6")):
        path = root / rel
        try:
            lines = path.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 4 or fields[3] != "0A":
                continue
            addr, _, port = fields[1].partition(":")
            found.add((proto, _decode_address(addr), int(port, 16)))
    return [{"protocol": p, "address": a, "port": n} for p, a, n in sorted(found, key=lambda x: (x[2], x[0], x[1]))]
