"""RDS rules: storage encryption and public accessibility."""

from __future__ import annotations

from typing import Any

from assetguard.compliance.ci import get, truthy
from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule

DB = "AWS::RDS::DBInstance"


@compliance_rule(
    id="rds-storage-encrypted", title="RDS DB instances have storage encryption enabled", severity="HIGH",
    resource_types=(DB,), trigger="on-change", cis=("2.3.1",),
    risk="Database files, snapshots and replicas are stored unencrypted.",
    remediation="Restore an encrypted copy from a snapshot copied with encryption and switch over.")
def rds_storage_encrypted(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """``configuration.storageEncrypted`` must be true."""
    value = truthy(get(item, "configuration", "storageEncrypted"))
    if value is None:
        return Result.insufficient("storageEncrypted not recorded")
    return Result.compliant() if value else Result.non_compliant("storage is not encrypted")


@compliance_rule(
    id="rds-instance-public-access-check", title="RDS DB instances are not publicly accessible",
    severity="CRITICAL", resource_types=(DB,), trigger="on-change", cis=("2.3.3",),
    risk="A publicly accessible database endpoint is exposed to internet brute force and exploits.",
    remediation="Modify the instance with PubliclyAccessible=false and keep it in private subnets.")
def rds_instance_public_access_check(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when ``configuration.publiclyAccessible`` is true."""
    value = truthy(get(item, "configuration", "publiclyAccessible"))
    if value is None:
        return Result.insufficient("publiclyAccessible not recorded")
    return Result.non_compliant("instance is publicly accessible") if value else Result.compliant()
