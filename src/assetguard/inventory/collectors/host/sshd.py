"""Effective ``sshd_config`` values, the way sshd reads them.

* keywords are case-insensitive (reported lower-case, as ``sshd -T`` prints them);
* the **first** value obtained for a keyword wins (``Port`` and ``ListenAddress`` accumulate);
* ``Include`` expands globs (relative paths are under ``/etc/ssh``) in lexical order, in place;
* lines after a ``Match`` apply only to matching connections: they are reported in
  ``matchBlocks`` and do not change the global values;
* anything not set falls back to OpenSSH's compiled-in default.

    >>> parse_sshd_text("PermitRootLogin yes\\npermitrootlogin no\\n")["permitrootlogin"]
    'yes'
"""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path
from typing import Any

DEFAULTS = {
    "port": ["22"], "listenaddress": [], "permitrootlogin": "prohibit-password", "passwordauthentication": "yes",
    "pubkeyauthentication": "yes", "permitemptypasswords": "no", "kbdinteractiveauthentication": "yes",
    "challengeresponseauthentication": "yes", "usepam": "no", "x11forwarding": "no", "maxauthtries": "6",
    "maxsessions": "10", "logingracetime": "120", "clientaliveinterval": "0", "clientalivecountmax": "3",
    "allowtcpforwarding": "yes", "allowagentforwarding": "yes", "permituserenvironment": "no",
    "hostbasedauthentication": "no", "ignorerhosts": "yes", "loglevel": "INFO", "strictmodes": "yes",
    "gatewayports": "no", "permittunnel": "no", "usedns": "no", "banner": "none", "ciphers": None, "macs": None,
    "kexalgorithms": None, "allowusers": None, "allowgroups": None, "denyusers": None, "denygroups": None,
    "protocol": "2",
}
MULTI = frozenset({"port", "listenaddress"})
MAX_DEPTH = 16


_LINE = re.compile(r"^(\S+?)(?:\s*=\s*|\s+|$)(.*)$")


def split_line(line: str) -> tuple[str, str]:
    """``Key value``, ``Key=value`` and ``Key = value`` → (``key``, ``value``)."""
    m = _LINE.match(line)
    if m is None:
        return line.lower(), ""
    return m.group(1).lower(), m.group(2).strip()


def _expand(root: Path, line_arg: str) -> list[Path]:
    out: list[Path] = []
    for pattern in shlex.split(line_arg):
        rel = pattern.lstrip("/") if pattern.startswith("/") else f"etc/ssh/{pattern}"
        out += [Path(p) for p in sorted(glob.glob(str(root / rel)))]
    return out


def _lines(root: Path, path: Path, files: list[str], depth: int = 0) -> list[tuple[str, str]]:
    if depth > MAX_DEPTH or not path.is_file():
        return []
    files.append("/" + path.relative_to(root).as_posix())
    out: list[tuple[str, str]] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, value = split_line(line)
        if key == "include":
            for inc in _expand(root, value):
                out += _lines(root, inc, files, depth + 1)
        else:
            out.append((key, value))
    return out


def effective(lines: list[tuple[str, str]]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    matches: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for key, value in lines:
        if key == "match":
            current = {"criteria": value, "settings": {}}
            matches.append(current)
            continue
        target = current["settings"] if current is not None else settings
        if key in MULTI:
            target.setdefault(key, []).append(value)
        elif key not in target:
            target[key] = value
    merged = {k: (list(v) if isinstance(v, list) else v) for k, v in DEFAULTS.items()}
    for key, value in settings.items():
        merged[key] = value
    return {"settings": merged, "matchBlocks": matches}


def parse_sshd_text(text: str) -> dict[str, Any]:
    """Effective global settings of one config text (no includes)."""
    lines = [split_line(raw.strip()) for raw in text.splitlines() if raw.strip() and not raw.strip().startswith("#")]
    return dict(effective(lines)["settings"])


def read_sshd(root: Path) -> dict[str, Any]:
    main = root / "etc/ssh/sshd_config"
    if not main.is_file():
        return {"present": False, "configFiles": [], "settings": {}, "matchBlocks": []}
    files: list[str] = []
    result = effective(_lines(root, main, files))
    return {"present": True, "configFiles": files, **result}
