"""Security facts of a Linux host, read from a root directory, for the KISA Unix rules.

``gather_host_facts(Path("/"))`` reads sshd, PAM, login.defs, passwd/shadow, profile files and
walks a few directories for world-writable, SUID/SGID and unowned files. The result goes into a
host configuration item as ``configuration["hostSecurity"]``; the ``linux-*`` rules read only that,
so they evaluate the same on the live host and on a fixture directory in tests::

    facts = gather_host_facts(tmp_path)          # tmp_path/etc/ssh/sshd_config, ...
    facts["sshd"]["PermitRootLogin"]            # 'no'

Nothing here changes the host. Unreadable files are reported as ``None`` (the rule then answers
INSUFFICIENT_DATA) rather than guessed.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

WALK_DIRS = ("etc", "bin", "sbin", "usr/bin", "usr/sbin", "usr/local", "home", "root", "opt", "srv", "var/www")
WALK_LIMIT = 200_000
LIST_LIMIT = 100
WATCHED_FILES = ("etc/passwd", "etc/shadow", "etc/group", "etc/hosts", "etc/inetd.conf", "etc/xinetd.conf",
                 "etc/rsyslog.conf", "etc/syslog.conf", "etc/services", "etc/hosts.equiv", "etc/ssh/sshd_config")
PAM_PASSWORD_FILES = ("etc/pam.d/common-password", "etc/pam.d/system-auth", "etc/pam.d/password-auth")
PAM_AUTH_FILES = ("etc/pam.d/common-auth", "etc/pam.d/system-auth", "etc/pam.d/password-auth")
PROFILE_FILES = ("etc/profile", "etc/bash.bashrc", "etc/bashrc", "etc/environment", "root/.profile",
                 "root/.bashrc", "root/.bash_profile")


def _read(root: Path, rel: str) -> str | None:
    try:
        return (root / rel).read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        return None


def _lines(text: str | None) -> list[str]:
    if not text:
        return []
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def parse_sshd(root: Path) -> dict[str, Any]:
    """First value wins (as sshd does); ``Include`` of ``sshd_config.d/*.conf`` is followed."""
    main = _read(root, "etc/ssh/sshd_config")
    if main is None:
        return {"present": False}
    out: dict[str, Any] = {"present": True}

    def absorb(text: str | None) -> None:
        for line in _lines(text):
            parts = line.split(None, 1)
            if len(parts) != 2:
                continue
            name, value = parts[0], parts[1].strip()
            if name.lower() == "match":
                return  # settings after Match apply conditionally; stop at the first block
            if name.lower() == "include":
                for pattern in value.split():
                    rel = pattern.lstrip("/") if pattern.startswith("/") else f"etc/ssh/{pattern}"
                    for path in sorted(root.glob(rel)):
                        absorb(path.read_text(encoding="utf-8", errors="replace"))
                continue
            canonical = {"permitrootlogin": "PermitRootLogin", "permitemptypasswords": "PermitEmptyPasswords",
                         "protocol": "Protocol", "passwordauthentication": "PasswordAuthentication"}.get(name.lower())
            if canonical and canonical not in out:
                out[canonical] = value

    absorb(main)
    return out


def parse_key_values(text: str | None, sep: str | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in _lines(text):
        if sep:
            k, _, v = line.partition(sep)
        else:
            parts = line.split(None, 1)
            k, v = parts[0], parts[1] if len(parts) > 1 else ""
        out.setdefault(k.strip(), v.strip())
    return out


def _module_args(root: Path, files: tuple[str, ...], modules: tuple[str, ...]) -> dict[str, str] | None:
    for rel in files:
        for line in _lines(_read(root, rel)):
            tokens = line.split()
            mod = next((t for t in tokens if any(t.endswith(m) for m in modules)), None)
            if mod is None:
                continue
            args: dict[str, str] = {"module": mod.rsplit("/", 1)[-1], "file": "/" + rel}
            for tok in tokens[tokens.index(mod) + 1:]:
                k, _, v = tok.partition("=")
                args[k] = v
            return args
    return None


def parse_passwd(text: str | None) -> list[dict[str, Any]] | None:
    if text is None:
        return None
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split(":")
        if len(f) < 7:
            continue
        out.append({"name": f[0], "password": f[1], "uid": int(f[2]) if f[2].isdigit() else -1,
                    "gid": int(f[3]) if f[3].isdigit() else -1, "home": f[5], "shell": f[6]})
    return out


def parse_shadow(text: str | None) -> list[dict[str, Any]] | None:
    if text is None:
        return None
    out = []
    for line in text.splitlines():
        f = line.split(":")
        if len(f) >= 2 and f[0]:
            # Never keep the hash itself: only whether it is empty, locked or set.
            state = "empty" if f[1] == "" else "locked" if f[1][:1] in ("!", "*") else "set"
            out.append({"name": f[0], "password": state})
    return out


def file_info(path: Path) -> dict[str, Any] | None:
    try:
        st = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return {"uid": st.st_uid, "gid": st.st_gid, "mode": f"{stat.S_IMODE(st.st_mode):04o}"}


def _path_values(root: Path) -> list[str]:
    values = []
    for rel in PROFILE_FILES:
        for line in _lines(_read(root, rel)):
            m = re.match(r"^(?:export\s+)?PATH=(.*)$", line)
            if m:
                values.append(m.group(1).strip().strip('"').strip("'"))
    return values


def _tmout(root: Path) -> int | None:
    for rel in ("etc/profile", "etc/bash.bashrc", "etc/bashrc", "etc/profile.d/tmout.sh", "etc/csh.login"):
        for line in _lines(_read(root, rel)):
            m = re.match(r"^(?:export\s+|readonly\s+|declare\s+-[a-z]*\s+)?TMOUT=(\d+)", line)
            if m:
                return int(m.group(1))
    return None


def _umask(root: Path, login_defs: dict[str, str]) -> str | None:
    for rel in ("etc/profile", "etc/bashrc", "etc/bash.bashrc"):
        for line in _lines(_read(root, rel)):
            m = re.match(r"^umask\s+(\d{3,4})$", line)
            if m:
                return m.group(1)[-3:]
    value = login_defs.get("UMASK")
    return value[-3:] if value else None


def walk_files(root: Path, known_uids: set[int], known_gids: set[int]) -> dict[str, list[str]]:
    """World-writable files, SUID/SGID files and files whose owner does not exist (capped lists)."""
    world: list[str] = []
    suid: list[str] = []
    unowned: list[str] = []
    seen = 0
    for rel in WALK_DIRS:
        base = root / rel
        if not base.is_dir() or base.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            for name in (*filenames, *dirnames):
                seen += 1
                if seen > WALK_LIMIT:
                    break
                path = Path(dirpath) / name
                try:
                    st = path.lstat()
                except OSError:
                    continue
                if stat.S_ISLNK(st.st_mode):
                    continue
                shown = "/" + str(path.relative_to(root))
                mode = stat.S_IMODE(st.st_mode)
                if stat.S_ISREG(st.st_mode):
                    if mode & stat.S_IWOTH and len(world) < LIST_LIMIT:
                        world.append(shown)
                    if mode & (stat.S_ISUID | stat.S_ISGID) and len(suid) < LIST_LIMIT * 5:
                        suid.append(shown)
                elif stat.S_ISDIR(st.st_mode) and mode & stat.S_IWOTH and not mode & stat.S_ISVTX \
                        and len(world) < LIST_LIMIT:
                    world.append(shown + "/")
                if known_uids and (st.st_uid not in known_uids or (known_gids and st.st_gid not in known_gids)) \
                        and len(unowned) < LIST_LIMIT:
                    unowned.append(shown)
    return {"worldWritable": sorted(world), "suid": sorted(suid), "unowned": sorted(unowned)}


def gather_host_facts(root: Path) -> dict[str, Any]:
    """Everything the ``linux-*`` rules need, from the filesystem under ``root``."""
    root = Path(root)
    login_defs = parse_key_values(_read(root, "etc/login.defs"))
    passwd = parse_passwd(_read(root, "etc/passwd"))
    groups = _read(root, "etc/group")
    known_gids = {int(ln.split(":")[2]) for ln in (groups or "").splitlines()
                  if ln.count(":") >= 2 and ln.split(":")[2].isdigit()}
    known_uids = {u["uid"] for u in passwd or []}
    pwquality = parse_key_values(_read(root, "etc/security/pwquality.conf"), "=")
    pam_quality = _module_args(root, PAM_PASSWORD_FILES, ("pam_pwquality.so", "pam_cracklib.so"))
    lockout = _module_args(root, PAM_AUTH_FILES, ("pam_faillock.so", "pam_tally2.so", "pam_tally.so"))
    faillock_conf = parse_key_values(_read(root, "etc/security/faillock.conf"), "=")
    if lockout is not None and "deny" not in lockout and "deny" in faillock_conf:
        lockout["deny"] = faillock_conf["deny"]
    su_pam = _lines(_read(root, "etc/pam.d/su"))
    rhosts = [str(p.relative_to(root)) for p in (*root.glob("home/*/.rhosts"), *root.glob("root/.rhosts"))]
    hosts_equiv = _read(root, "etc/hosts.equiv")
    return {
        "sshd": parse_sshd(root),
        "loginDefs": {k: v for k, v in login_defs.items() if k.startswith(("PASS_", "UMASK", "LOGIN_"))},
        "pwquality": {**pwquality, **({k: v for k, v in pam_quality.items()} if pam_quality else {})},
        "pwqualityConfigured": pam_quality is not None or bool(pwquality),
        "lockout": lockout,
        "passwd": passwd,
        "shadow": parse_shadow(_read(root, "etc/shadow")),
        "shadowExists": (root / "etc/shadow").exists(),
        "rootPath": _path_values(root),
        "files": {"/" + rel: file_info(root / rel) for rel in WATCHED_FILES},
        **walk_files(root, known_uids, known_gids),
        "hostsEquiv": None if hosts_equiv is None else {"plus": any(ln.startswith("+") for ln in _lines(hosts_equiv))},
        "rhosts": rhosts,
        "suWheel": any("pam_wheel.so" in ln for ln in su_pam),
        "suPamPresent": (root / "etc/pam.d/su").exists(),
        "tmout": _tmout(root),
        "umask": _umask(root, login_defs),
    }
