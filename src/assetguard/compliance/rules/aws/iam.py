"""IAM rules: password policy, root MFA and access keys, user MFA, key rotation, user policies.

Account-wide facts come from the inventory's ``AWS::IAM::AccountPasswordPolicy`` item (the
``PasswordPolicy`` of GetAccountPasswordPolicy in lowerCamel keys, plus ``passwordPolicyPresent``) and
``AWS::IAM::AccountSummary`` item (``configuration.summaryMap`` = GetAccountSummary's ``SummaryMap``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assetguard.compliance.ci import as_list, get, key, truthy
from assetguard.compliance.context import ACCOUNT_SUMMARY, PASSWORD_POLICY, EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule
from assetguard.core.clock import utcnow
from assetguard.findings.model import parse_time

USER = "AWS::IAM::User"


class PasswordPolicyParams(BaseModel):
    """AWS Config's parameters and defaults for iam-password-policy."""

    model_config = ConfigDict(extra="forbid")
    RequireUppercaseCharacters: bool = True
    RequireLowercaseCharacters: bool = True
    RequireSymbols: bool = True
    RequireNumbers: bool = True
    MinimumPasswordLength: int = Field(14, ge=6, le=128)
    PasswordReusePrevention: int | None = Field(24, ge=1, le=24)
    MaxPasswordAge: int | None = Field(90, ge=1, le=1095)


@compliance_rule(
    id="iam-password-policy", title="The IAM password policy meets the requirements", severity="MEDIUM",
    resource_types=(PASSWORD_POLICY,), trigger="periodic", cis=("1.8", "1.9"),
    risk="Weak or reused passwords make console accounts easy to take over.",
    remediation="Set an account password policy: 14+ characters, all character classes, reuse prevention 24, "
                "maximum age 90 days.", runbook="iam-password-policy", params=PasswordPolicyParams)
def iam_password_policy(item: dict[str, Any], ctx: EvaluationContext, params: PasswordPolicyParams) -> Result:
    """NON_COMPLIANT when there is no password policy or any parameter is not met."""
    policy = item.get("configuration") or {}
    if key(policy, "passwordPolicyPresent") is False:
        return Result.non_compliant("the account has no password policy")
    problems = []
    for flag in ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireSymbols", "RequireNumbers"):
        if getattr(params, flag) and not truthy(key(policy, flag)):
            problems.append(f"{flag} is false")
    if int(key(policy, "MinimumPasswordLength") or 0) < params.MinimumPasswordLength:
        problems.append(f"MinimumPasswordLength < {params.MinimumPasswordLength}")
    if params.PasswordReusePrevention and int(key(policy, "PasswordReusePrevention") or 0) < \
            params.PasswordReusePrevention:
        problems.append(f"PasswordReusePrevention < {params.PasswordReusePrevention}")
    if params.MaxPasswordAge:
        age = key(policy, "MaxPasswordAge")
        if not age or int(age) > params.MaxPasswordAge:
            problems.append(f"MaxPasswordAge > {params.MaxPasswordAge}")
    return Result.non_compliant("; ".join(problems)) if problems else Result.compliant()


def _summary(item: dict[str, Any], name: str) -> Any:
    return get(item, "configuration", "summaryMap", name)


@compliance_rule(
    id="root-account-mfa-enabled", title="The root user has MFA enabled", severity="CRITICAL",
    resource_types=(ACCOUNT_SUMMARY,), trigger="periodic", cis=("1.5",),
    risk="A stolen root password gives unrestricted control of the whole account.",
    remediation="Enable a hardware or virtual MFA device for the root user.")
def root_account_mfa_enabled(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """``summaryMap.AccountMFAEnabled`` must be 1."""
    value = _summary(item, "AccountMFAEnabled")
    if value is None:
        return Result.insufficient("account summary not recorded")
    return Result.compliant() if int(value) == 1 else Result.non_compliant("root user has no MFA")


@compliance_rule(
    id="iam-root-access-key-check", title="The root user has no access keys", severity="CRITICAL",
    resource_types=(ACCOUNT_SUMMARY,), trigger="periodic", cis=("1.4",),
    risk="Root access keys are long-lived credentials with unrestricted power.",
    remediation="Delete the root user's access keys; use IAM roles instead.")
def iam_root_access_key_check(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """``summaryMap.AccountAccessKeysPresent`` must be 0."""
    value = _summary(item, "AccountAccessKeysPresent")
    if value is None:
        return Result.insufficient("account summary not recorded")
    return Result.compliant() if int(value) == 0 else Result.non_compliant("root user has access keys")


def _user_list(item: dict[str, Any], *names: str) -> list[Any] | None:
    for where in ("supplementaryConfiguration", "configuration"):
        for name in names:
            value = get(item, where, name)
            if value is not None:
                return as_list(value)
    return None


@compliance_rule(
    id="iam-user-mfa-enabled", title="IAM users have MFA enabled", severity="HIGH", resource_types=(USER,),
    trigger="periodic", cis=("1.10",),
    risk="A phished or reused password is enough to sign in as the user.",
    remediation="Assign an MFA device to the user (or remove the user's console password).")
def iam_user_mfa_enabled(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when the user has no MFA device (``MfaDevices`` / ``mfaDevices``)."""
    devices = _user_list(item, "MfaDevices", "mfaDevices")
    if devices is None:
        return Result.insufficient("MFA devices not recorded")
    return Result.compliant(f"{len(devices)} MFA device(s)") if devices else Result.non_compliant("no MFA device")


class KeyAgeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    maxAccessKeyAge: int = Field(90, ge=1, le=2 * 365)


@compliance_rule(
    id="access-keys-rotated", title="Active IAM access keys are rotated within 90 days", severity="MEDIUM",
    resource_types=(USER,), trigger="periodic", cis=("1.14",),
    risk="Old keys are more likely to have leaked (laptops, repositories, logs).",
    remediation="Create a new key, move workloads to it, then deactivate and delete the old one.",
    params=KeyAgeParams)
def access_keys_rotated(item: dict[str, Any], ctx: EvaluationContext, params: KeyAgeParams) -> Result:
    """NON_COMPLIANT when an Active key's ``createDate`` is older than ``maxAccessKeyAge`` days."""
    keys = _user_list(item, "AccessKeys", "accessKeys")
    if keys is None:
        return Result.insufficient("access keys not recorded")
    limit = utcnow() - timedelta(days=params.maxAccessKeyAge)
    old = []
    for k in keys:
        if str(key(k, "status")) != "Active" or not key(k, "createDate"):
            continue
        created = key(k, "createDate")
        try:
            when = parse_time(created) if isinstance(created, str) else created
        except ValueError:
            continue
        if when < limit:
            old.append(str(key(k, "accessKeyId")))
    if old:
        return Result.non_compliant(f"key(s) older than {params.maxAccessKeyAge} days: {', '.join(old)}")
    return Result.compliant() if keys else Result.not_applicable("user has no access keys")


@compliance_rule(
    id="iam-user-no-policies-check", title="IAM users get permissions only through groups or roles",
    severity="LOW", resource_types=(USER,), trigger="on-change", cis=("1.15",),
    risk="Policies attached to individual users are hard to review and are forgotten when people move.",
    remediation="Attach policies to groups and add the user to the group.")
def iam_user_no_policies_check(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when ``attachedManagedPolicies`` or ``userPolicyList`` is non-empty."""
    attached = as_list(get(item, "configuration", "attachedManagedPolicies"))
    inline = as_list(get(item, "configuration", "userPolicyList"))
    if attached or inline:
        return Result.non_compliant(f"{len(attached)} managed and {len(inline)} inline polic(ies) on the user")
    return Result.compliant()
