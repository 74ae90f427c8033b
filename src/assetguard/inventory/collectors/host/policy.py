"""Password policy: ``/etc/login.defs``, ``pwquality.conf`` (+ ``.d``), ``faillock.conf`` and the
``pam_pwquality`` / ``pam_faillock`` / ``pam_tally2`` arguments in ``/etc/pam.d``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

LOGIN_DEFS_KEYS = ("PASS_MAX_DAYS", "PASS_MIN_DAYS", "PASS_WARN_AGE", "PASS_MIN_LEN", "ENCRYPT_METHOD", "UMASK",
                   "SHA_CRYPT_MIN_ROUNDS", "SHA_CRYPT_MAX_ROUNDS", "YESCRYPT_COST_FACTOR", "LOGIN_RETRIES",
                   "LOGIN_TIMEOUT", "FAILLOG_ENAB")
PAM_FILES = ("common-auth", "common-password", "common-account", "system-auth", "password-auth", "login", "sshd")
PAM_MODULES = ("pam_pwquality.so", "pam_cracklib.so", "pam_faillock.so", "pam_tally2.so", "pam_tally.so",
               "pam_unix.so", "pam_pwhistory.so")


def _read(path: Path) -> list[str]:
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
                if line.strip() and not line.strip().startswith("#")]
    except OSError:
        return []


def _number(value: str) -> Any:
    try:
        return int(value)
    except ValueError:
        return value


def _key_values(lines: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in lines:
        if "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = _number(value.strip())
        else:
            out[line.split()[0]] = True  # flags such as "even_deny_root"
    return out


def _pam_args(args: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        out[key] = _number(value) if sep else True
    return out


def read_password_policy(root: Path) -> dict[str, Any]:
    login_defs: dict[str, Any] = {}
    for line in _read(root / "etc/login.defs"):
        parts = line.split(None, 1)
        if parts[0] in LOGIN_DEFS_KEYS and len(parts) == 2:
            login_defs[parts[0]] = _number(parts[1].strip())
    pwquality = _key_values(_read(root / "etc/security/pwquality.conf"))
    conf_d = root / "etc/security/pwquality.conf.d"
    if conf_d.is_dir():
        for path in sorted(conf_d.glob("*.conf")):
            pwquality.update(_key_values(_read(path)))
    faillock = _key_values(_read(root / "etc/security/faillock.conf"))
    pam: dict[str, list[dict[str, Any]]] = {}
    for name in PAM_FILES:
        for line in _read(root / "etc/pam.d" / name):
            parts = line.split()
            if len(parts) < 3:
                continue
            module = next((p for p in parts[2:] if p.endswith(".so")), None)
            if module and module.rsplit("/", 1)[-1] in PAM_MODULES:
                idx = parts.index(module)
                pam.setdefault(module.rsplit("/", 1)[-1], []).append(
                    {"file": f"/etc/pam.d/{name}", "type": parts[0], "control": " ".join(parts[1:idx]),
                     "args": _pam_args(parts[idx + 1:])})
    lockout = None
    for module in ("pam_faillock.so", "pam_tally2.so", "pam_tally.so"):
        for entry in pam.get(module, []):
            deny = entry["args"].get("deny", faillock.get("deny") if module == "pam_faillock.so" else None)
            if deny is not None:
                lockout = {"module": module, "deny": deny,
                           "unlockTime": entry["args"].get("unlock_time", faillock.get("unlock_time"))}
                break
        if lockout:
            break
    if lockout is None and faillock.get("deny") is not None and "pam_faillock.so" in pam:
        lockout = {"module": "pam_faillock.so", "deny": faillock["deny"], "unlockTime": faillock.get("unlock_time")}
    return {"loginDefs": login_defs, "pwquality": pwquality, "faillock": faillock, "pam": pam, "lockout": lockout}
