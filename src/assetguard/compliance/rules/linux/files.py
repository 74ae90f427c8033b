"""KISA Unix file and directory checks (U-05 ... U-17, U-56)."""

from __future__ import annotations

from typing import Any

from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule
from assetguard.compliance.rules.linux.common import HOST, facts

COMMON: dict[str, Any] = {"resource_types": (HOST,), "trigger": "both", "provider": "linux"}
NO_FACTS = "host security facts not collected (run: assetguard scan --source host)"
# KISA U-13's list of SUID/SGID binaries that should not carry the bit.
RISKY_SUID = ("/sbin/dump", "/sbin/restore", "/sbin/unix_chkpwd", "/usr/bin/at", "/usr/bin/lpq", "/usr/bin/lpq-lpd",
              "/usr/bin/lpr", "/usr/bin/lpr-lpd", "/usr/bin/lprm", "/usr/bin/lprm-lpd", "/usr/bin/newgrp",
              "/usr/sbin/lpc", "/usr/sbin/lpc-lpd", "/usr/sbin/traceroute")


def check_file(item: dict[str, Any], ctx: EvaluationContext | None, path: str, max_mode: int,
               owners: tuple[int, ...] = (0,), optional: bool = False) -> Result:
    """Owner UID in ``owners`` and no permission bit outside ``max_mode``."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    info = (f.get("files") or {}).get(path)
    if info is None:
        return Result.not_applicable(f"{path} does not exist") if optional else \
            Result.insufficient(f"{path} not found")
    mode = int(info["mode"], 8)
    problems = []
    if info["uid"] not in owners:
        problems.append(f"owner uid {info['uid']} (expected root)")
    if mode & ~max_mode & 0o7777:
        problems.append(f"mode {info['mode']} exceeds {max_mode:04o}")
    return Result.non_compliant(f"{path}: {'; '.join(problems)}") if problems else Result.compliant(
        f"{path} {info['mode']}")


def _file_rule(rule_id: str, kisa: str, path: str, max_mode: int, title: str, *, optional: bool = False,
               owners: tuple[int, ...] = (0,)) -> None:
    def check(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
        return check_file(item, ctx, path, max_mode, owners, optional)

    check.__doc__ = f"{path}: owned by root, mode {max_mode:04o} or stricter."
    compliance_rule(id=rule_id, title=title, severity="MEDIUM", kisa=(kisa,),
                    risk=f"Loose ownership or permissions on {path} let local users read or change what it guards.",
                    remediation=f"chown root {path}; chmod {max_mode:o} {path}",
                    runbook="linux-file-permissions", **COMMON)(check)


_file_rule("linux-passwd-file-permissions", "U-07", "/etc/passwd", 0o644,
           "/etc/passwd is owned by root with mode 644 or stricter")
_file_rule("linux-shadow-file-permissions", "U-08", "/etc/shadow", 0o400,
           "/etc/shadow is owned by root with mode 400 or stricter")
_file_rule("linux-hosts-file-permissions", "U-09", "/etc/hosts", 0o600,
           "/etc/hosts is owned by root with mode 600 or stricter")
_file_rule("linux-inetd-conf-permissions", "U-10", "/etc/inetd.conf", 0o600,
           "/etc/inetd.conf is owned by root with mode 600 or stricter", optional=True)
_file_rule("linux-syslog-conf-permissions", "U-11", "/etc/rsyslog.conf", 0o640,
           "/etc/rsyslog.conf is owned by root with mode 640 or stricter", optional=True, owners=(0, 1, 3))
_file_rule("linux-services-file-permissions", "U-12", "/etc/services", 0o644,
           "/etc/services is owned by root with mode 644 or stricter", optional=True, owners=(0, 1, 3))


@compliance_rule(
    id="linux-root-path", title="root's PATH has no '.' or empty entries", severity="MEDIUM", kisa=("U-05",),
    risk="A '.' in root's PATH runs a planted binary from the current directory with root privileges.",
    remediation="Remove '.' and empty entries (leading, trailing or '::') from PATH in the profile files.", **COMMON)
def root_path(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when a PATH assignment in the system or root profile has '.' or an empty entry."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    bad = []
    for value in f.get("rootPath") or []:
        entries = value.split(":")
        if any(e in (".", "") for e in entries):
            bad.append(value)
    return Result.non_compliant(f"unsafe PATH: {bad[0]}") if bad else Result.compliant()


@compliance_rule(
    id="linux-unowned-files", title="No files without an existing owner or group", severity="LOW",
    kisa=("U-06",), risk="A new account given the orphaned UID silently inherits the files.",
    remediation="chown the files to a real account, or delete them.", **COMMON)
def unowned_files(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when the scanned directories hold files whose UID or GID is unknown."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    files = f.get("unowned") or []
    return Result.non_compliant(f"{len(files)} unowned: {', '.join(files[:5])}") if files else Result.compliant()


@compliance_rule(
    id="linux-suid-sgid-files", title="Unneeded binaries do not carry SUID/SGID", severity="HIGH", kisa=("U-13",),
    risk="SUID binaries with known flaws are the shortest path from a local account to root.",
    remediation="chmod -s the listed binaries (dump, restore, at, lpr, newgrp, traceroute ...).",
    runbook="linux-file-permissions", **COMMON)
def suid_sgid_files(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when a binary from KISA's list has the SUID or SGID bit."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    bad = [p for p in f.get("suid") or [] if p in RISKY_SUID]
    return Result.non_compliant(f"SUID/SGID set on {', '.join(bad)}") if bad else Result.compliant()


@compliance_rule(
    id="linux-world-writable-files", title="No world-writable files in system directories", severity="MEDIUM",
    kisa=("U-15",), risk="Any local user can change world-writable configuration or scripts.",
    remediation="chmod o-w the listed files (sticky directories such as /tmp are fine).",
    runbook="linux-file-permissions", **COMMON)
def world_writable_files(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when a file, or a directory without the sticky bit, is writable by others."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    files = f.get("worldWritable") or []
    return Result.non_compliant(f"{len(files)} world-writable: {', '.join(files[:5])}") if files \
        else Result.compliant()


@compliance_rule(
    id="linux-no-rhosts-hosts-equiv", title="No trust through hosts.equiv or .rhosts", severity="HIGH",
    kisa=("U-17",), risk="r-command trust lets remote users log in without a password.",
    remediation="Delete /etc/hosts.equiv and every $HOME/.rhosts, or remove '+' entries.", **COMMON)
def no_rhosts(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when any .rhosts exists or /etc/hosts.equiv contains '+'."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    problems = []
    if (f.get("hostsEquiv") or {}).get("plus"):
        problems.append("/etc/hosts.equiv trusts '+'")
    if f.get("rhosts"):
        problems.append(f".rhosts present: {', '.join('/' + p for p in f['rhosts'])}")
    return Result.non_compliant("; ".join(problems)) if problems else Result.compliant()


@compliance_rule(
    id="linux-umask", title="The default umask is 022 or stricter", severity="LOW", kisa=("U-56",),
    risk="A lax umask creates files other users can modify.",
    remediation="Set 'umask 022' in /etc/profile and UMASK 022 in /etc/login.defs.", **COMMON)
def umask(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """The umask must mask at least group and other write (022)."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    value = f.get("umask")
    if value is None:
        return Result.non_compliant("no umask configured")
    return Result.compliant(f"umask {value}") if int(value, 8) & 0o022 == 0o022 else \
        Result.non_compliant(f"umask {value} lets group or others write")
