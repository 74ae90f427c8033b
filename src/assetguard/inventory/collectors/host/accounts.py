"""Users and groups from ``/etc/passwd``, ``/etc/group`` and ``/etc/shadow``.

``passwordStatus`` per user: ``empty`` (shadow field blank: login without a password),
``locked`` (``!``/``*`` prefix), ``set``, or ``unknown`` when shadow is unreadable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

NOLOGIN_SHELLS = frozenset({"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false", "/bin/sync"})


def _lines(path: Path) -> list[list[str]]:
    if not path.is_file():
        return []
    return [line.split(":") for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if line and not line.startswith("#")]


def read_shadow(root: Path) -> tuple[dict[str, str], bool]:
    path = root / "etc/shadow"
    try:
        return {f[0]: f[1] for f in _lines(path) if len(f) > 1}, path.is_file()
    except PermissionError:
        return {}, False


def read_accounts(root: Path) -> dict[str, Any]:
    shadow, readable = read_shadow(root)
    users = []
    for f in _lines(root / "etc/passwd"):
        if len(f) < 7:
            continue
        name, pw_field, uid, gid, _gecos, home, shell = f[:7]
        hashed = shadow.get(name) if pw_field == "x" else pw_field
        if hashed is None:
            status = "unknown"
        elif hashed == "":
            status = "empty"
        elif hashed[0] in "!*":
            status = "locked"
        else:
            status = "set"
        users.append({"name": name, "uid": int(uid) if uid.isdigit() else uid, "gid": int(gid) if gid.isdigit() else gid,
                      "home": home, "shell": shell, "loginShell": shell not in NOLOGIN_SHELLS and bool(shell),
                      "passwordStatus": status})
    groups = [{"name": f[0], "gid": int(f[2]) if f[2].isdigit() else f[2],
               "members": [m for m in f[3].split(",") if m] if len(f) > 3 else []}
              for f in _lines(root / "etc/group") if len(f) >= 3]
    return {
        "users": users,
        "groups": groups,
        "uid0Accounts": [u["name"] for u in users if u["uid"] == 0],
        "emptyPasswordAccounts": [u["name"] for u in users if u["passwordStatus"] == "empty"],
        "shadowReadable": readable,
    }


def id_names(root: Path) -> tuple[dict[int, str], dict[int, str]]:
    """uid → user name and gid → group name, from the root's own files."""
    users = {int(f[2]): f[0] for f in _lines(root / "etc/passwd") if len(f) > 2 and f[2].isdigit()}
    groups = {int(f[2]): f[0] for f in _lines(root / "etc/group") if len(f) > 2 and f[2].isdigit()}
    return users, groups
