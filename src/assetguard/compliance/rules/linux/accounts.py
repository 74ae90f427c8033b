"""KISA Unix account and authentication checks (U-01 ... U-04, U-44 ... U-48, U-52, U-54)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule
from assetguard.compliance.rules.linux.common import HOST, as_int, facts

COMMON: dict[str, Any] = {"resource_types": (HOST,), "trigger": "both", "provider": "linux"}
NO_FACTS = "host security facts not collected (run: assetguard scan --source host)"


@compliance_rule(
    id="linux-ssh-root-login-disabled", title="Remote root login over SSH is disabled", severity="HIGH",
    kisa=("U-01",), cce=("CCE-27445-4",),
    risk="Attackers brute-force the one account name every Linux host has, with full privileges on success.",
    remediation="Set 'PermitRootLogin no' in /etc/ssh/sshd_config and reload sshd.",
    runbook="sshd-permit-root-login-no", **COMMON)
def ssh_root_login(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """COMPLIANT only with an explicit ``PermitRootLogin no`` (the OpenSSH default allows key logins)."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    sshd = f.get("sshd") or {}
    if not sshd.get("present"):
        return Result.not_applicable("sshd is not configured on this host")
    value = str(sshd.get("PermitRootLogin", "prohibit-password (default)"))
    return Result.compliant() if value.lower() == "no" else Result.non_compliant(f"PermitRootLogin is {value}")


@compliance_rule(
    id="linux-password-complexity", title="Password complexity is enforced", severity="MEDIUM",
    kisa=("U-02",), risk="Simple passwords fall to dictionary and brute-force attacks.",
    remediation="Configure pam_pwquality: minlen=8 and dcredit/ucredit/lcredit/ocredit=-1 (or minclass=3).",
    **COMMON)
def password_complexity(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """minlen ≥ 8 and at least three character classes required (credits ≤ -1, or minclass ≥ 3)."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    q = f.get("pwquality") or {}
    if not f.get("pwqualityConfigured"):
        return Result.non_compliant("no pam_pwquality / pam_cracklib configuration")
    minlen = as_int(q.get("minlen")) or 0
    classes = sum(1 for c in ("dcredit", "ucredit", "lcredit", "ocredit") if (as_int(q.get(c)) or 0) <= -1)
    classes = max(classes, as_int(q.get("minclass")) or 0)
    problems = []
    if minlen < 8:
        problems.append(f"minlen {minlen} < 8")
    if classes < 3:
        problems.append(f"only {classes} character class(es) required")
    return Result.non_compliant("; ".join(problems)) if problems else Result.compliant()


@compliance_rule(
    id="linux-account-lockout-threshold", title="Accounts lock after at most 10 failed logins", severity="MEDIUM",
    kisa=("U-03",), risk="Unlimited password guessing against local accounts.",
    remediation="Configure pam_faillock (deny=5 unlock_time=600) in the auth stack.", **COMMON)
def lockout_threshold(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """pam_faillock / pam_tally2 with ``deny`` between 1 and 10."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    lock = f.get("lockout")
    if not lock:
        return Result.non_compliant("no pam_faillock or pam_tally2 in the auth stack")
    deny = as_int(lock.get("deny"))
    if deny is None or not 1 <= deny <= 10:
        return Result.non_compliant(f"{lock.get('module')} deny={lock.get('deny', 'unset')} (must be 1-10)")
    return Result.compliant(f"{lock.get('module')} deny={deny}")


@compliance_rule(
    id="linux-shadow-passwords", title="Password hashes are kept in /etc/shadow", severity="HIGH",
    kisa=("U-04",), risk="Hashes in the world-readable /etc/passwd can be cracked offline by any user.",
    remediation="Run pwconv so every account has 'x' in /etc/passwd and its hash in /etc/shadow.", **COMMON)
def shadow_passwords(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """/etc/shadow exists and every /etc/passwd password field is ``x``."""
    f = facts(item, ctx)
    if f is None or f.get("passwd") is None:
        return Result.insufficient(NO_FACTS)
    if not f.get("shadowExists"):
        return Result.non_compliant("/etc/shadow does not exist")
    exposed = [u["name"] for u in f["passwd"] if u["password"] != "x"]
    return Result.non_compliant(f"hash or empty field in /etc/passwd for {', '.join(exposed)}") if exposed \
        else Result.compliant()


@compliance_rule(
    id="linux-empty-passwords", title="No account has an empty password", severity="CRITICAL",
    risk="Anyone can log in to an account with an empty password.",
    remediation="Set a password (passwd USER) or lock the account (passwd -l USER).", **COMMON)
def empty_passwords(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when /etc/shadow (or /etc/passwd) has an empty password field."""
    f = facts(item, ctx)
    if f is None or f.get("passwd") is None:
        return Result.insufficient(NO_FACTS)
    empty = [u["name"] for u in f["passwd"] if u["password"] == ""]
    if f.get("shadow") is None and f.get("shadowExists"):
        return Result.insufficient("/etc/shadow is not readable")
    empty += [u["name"] for u in f.get("shadow") or [] if u["password"] == "empty"]
    return Result.non_compliant(f"empty password: {', '.join(sorted(set(empty)))}") if empty else Result.compliant()


@compliance_rule(
    id="linux-uid-zero-only-root", title="Only root has UID 0", severity="HIGH", kisa=("U-44",),
    risk="A second UID-0 account is a hidden root account (a classic backdoor).",
    remediation="Give the account a unique non-zero UID (usermod -u) or remove it.", **COMMON)
def uid_zero_only_root(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when an account other than root has UID 0."""
    f = facts(item, ctx)
    if f is None or f.get("passwd") is None:
        return Result.insufficient(NO_FACTS)
    extra = [u["name"] for u in f["passwd"] if u["uid"] == 0 and u["name"] != "root"]
    return Result.non_compliant(f"UID 0 besides root: {', '.join(extra)}") if extra else Result.compliant()


@compliance_rule(
    id="linux-duplicate-uids", title="No two accounts share a UID", severity="MEDIUM", kisa=("U-52",),
    risk="Accounts sharing a UID share files and permissions, and the audit trail cannot tell them apart.",
    remediation="Give each account a unique UID.", **COMMON)
def duplicate_uids(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when a UID appears more than once in /etc/passwd."""
    f = facts(item, ctx)
    if f is None or f.get("passwd") is None:
        return Result.insufficient(NO_FACTS)
    counts = Counter(u["uid"] for u in f["passwd"])
    dupes = sorted(uid for uid, n in counts.items() if n > 1)
    return Result.non_compliant(f"duplicate UID(s): {', '.join(map(str, dupes))}") if dupes else Result.compliant()


@compliance_rule(
    id="linux-su-restricted", title="su is restricted to the wheel group", severity="MEDIUM", kisa=("U-45",),
    risk="Any user who learns the root password can become root with su.",
    remediation="Enable 'auth required pam_wheel.so use_uid' in /etc/pam.d/su.", **COMMON)
def su_restricted(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """pam_wheel must be active in /etc/pam.d/su."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    if not f.get("suPamPresent"):
        return Result.not_applicable("/etc/pam.d/su not present")
    return Result.compliant() if f.get("suWheel") else Result.non_compliant("pam_wheel is not enabled for su")


def _login_def(f: dict[str, Any], name: str) -> int | None:
    return as_int((f.get("loginDefs") or {}).get(name))


@compliance_rule(
    id="linux-password-min-length", title="Passwords are at least 8 characters", severity="MEDIUM", kisa=("U-46",),
    risk="Short passwords are brute-forced quickly.",
    remediation="Set PASS_MIN_LEN 8 in /etc/login.defs and minlen=8 in pwquality.", **COMMON)
def password_min_length(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """PASS_MIN_LEN (login.defs) or pwquality minlen must be ≥ 8."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    values = [v for v in (_login_def(f, "PASS_MIN_LEN"), as_int((f.get("pwquality") or {}).get("minlen")))
              if v is not None]
    best = max(values, default=0)
    return Result.compliant(f"minimum length {best}") if best >= 8 else \
        Result.non_compliant(f"minimum password length {best or 'unset'} < 8")


@compliance_rule(
    id="linux-password-max-age", title="Passwords expire within 90 days", severity="LOW", kisa=("U-47",),
    risk="A leaked password stays valid forever.", remediation="Set PASS_MAX_DAYS 90 in /etc/login.defs.",
    **COMMON)
def password_max_age(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """PASS_MAX_DAYS must be 1 to 90."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    days = _login_def(f, "PASS_MAX_DAYS")
    return Result.compliant() if days is not None and 0 < days <= 90 else \
        Result.non_compliant(f"PASS_MAX_DAYS is {days if days is not None else 'unset'}")


@compliance_rule(
    id="linux-password-min-age", title="Passwords cannot be changed again for a day", severity="LOW",
    kisa=("U-48",), risk="Users cycle through changes to get back to their old password.",
    remediation="Set PASS_MIN_DAYS 1 in /etc/login.defs.", **COMMON)
def password_min_age(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """PASS_MIN_DAYS must be ≥ 1."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    days = _login_def(f, "PASS_MIN_DAYS")
    return Result.compliant() if days is not None and days >= 1 else \
        Result.non_compliant(f"PASS_MIN_DAYS is {days if days is not None else 'unset'}")


@compliance_rule(
    id="linux-session-timeout", title="Idle shell sessions time out within 600 seconds", severity="LOW",
    kisa=("U-54",), risk="An unattended logged-in terminal is an open door.",
    remediation="Set 'TMOUT=600; export TMOUT' (readonly) in /etc/profile.", **COMMON)
def session_timeout(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """TMOUT must be set to 1-600 seconds in the system profile."""
    f = facts(item, ctx)
    if f is None:
        return Result.insufficient(NO_FACTS)
    tmout = f.get("tmout")
    return Result.compliant(f"TMOUT={tmout}") if tmout and 0 < int(tmout) <= 600 else \
        Result.non_compliant(f"TMOUT is {tmout if tmout is not None else 'unset'}")
