"""CloudTrail rules: a trail exists and logs, covers all regions, validates and encrypts log files."""

from __future__ import annotations

from typing import Any

from assetguard.compliance.ci import get, truthy
from assetguard.compliance.context import ACCOUNT_SUMMARY, EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule

TRAIL = "AWS::CloudTrail::Trail"


def _trails(item: dict[str, Any], ctx: EvaluationContext) -> list[dict[str, Any]]:
    account = item.get("accountId") or item.get("resourceId")
    return [t for t in ctx.of_type(TRAIL) if t.get("accountId") in (None, account)]


def _logging(trail: dict[str, Any]) -> bool:
    value = truthy(get(trail, "supplementaryConfiguration", "TrailStatus", "isLogging"))
    if value is None:
        value = truthy(get(trail, "configuration", "isLogging"))
    return value is not False  # unknown counts as logging: the trail exists


@compliance_rule(
    id="cloudtrail-enabled", title="CloudTrail is enabled in the account", severity="HIGH",
    resource_types=(ACCOUNT_SUMMARY,), trigger="periodic", cis=("3.1",),
    risk="Without a trail there is no record of who did what in the account.",
    remediation="Create a multi-region trail delivering to a dedicated S3 bucket and start logging.")
def cloudtrail_enabled(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when the account has no trail that is logging."""
    trails = [t for t in _trails(item, ctx) if _logging(t)]
    if trails:
        return Result.compliant(f"{len(trails)} logging trail(s)")
    return Result.non_compliant("no CloudTrail trail is logging")


@compliance_rule(
    id="multi-region-cloudtrail-enabled", title="At least one CloudTrail trail covers all regions",
    severity="HIGH", resource_types=(ACCOUNT_SUMMARY,), trigger="periodic", cis=("3.1",),
    risk="Activity in regions without a trail goes unrecorded (a favourite place for crypto-mining).",
    remediation="Make the trail multi-region (IsMultiRegionTrail) and keep it logging.")
def multi_region_cloudtrail_enabled(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT unless a logging trail has ``isMultiRegionTrail`` true."""
    for t in _trails(item, ctx):
        if truthy(get(t, "configuration", "isMultiRegionTrail")) and _logging(t):
            return Result.compliant(f"trail {get(t, 'configuration', 'name') or t.get('resourceName')}")
    return Result.non_compliant("no multi-region trail is logging")


@compliance_rule(
    id="cloud-trail-log-file-validation-enabled", title="CloudTrail log file validation is enabled",
    severity="MEDIUM", resource_types=(TRAIL,), trigger="periodic", cis=("3.2",),
    risk="Without digest files, tampering with delivered logs cannot be detected.",
    remediation="Enable log file validation on the trail.", runbook="cloudtrail-log-file-validation")
def cloud_trail_log_file_validation_enabled(item: dict[str, Any], ctx: EvaluationContext,
                                            params: NoParams) -> Result:
    """``configuration.logFileValidationEnabled`` must be true."""
    value = truthy(get(item, "configuration", "logFileValidationEnabled"))
    if value is None:
        return Result.insufficient("logFileValidationEnabled not recorded")
    return Result.compliant() if value else Result.non_compliant("log file validation is disabled")


@compliance_rule(
    id="cloud-trail-encryption-enabled", title="CloudTrail logs are encrypted with a KMS key", severity="MEDIUM",
    resource_types=(TRAIL,), trigger="periodic", cis=("3.5",),
    risk="Log files readable by anyone with bucket access reveal account activity.",
    remediation="Configure the trail to encrypt log files with a customer managed KMS key.")
def cloud_trail_encryption_enabled(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """``configuration.kmsKeyId`` must be set."""
    return Result.compliant() if get(item, "configuration", "kmsKeyId") else \
        Result.non_compliant("trail logs are not encrypted with KMS")
