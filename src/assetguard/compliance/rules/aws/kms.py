"""KMS rules: automatic rotation of customer managed keys."""

from __future__ import annotations

from typing import Any

from assetguard.compliance.ci import get, truthy
from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule


@compliance_rule(
    id="cmk-backing-key-rotation-enabled", title="Customer managed KMS keys rotate automatically",
    severity="MEDIUM", resource_types=("AWS::KMS::Key",), trigger="periodic", cis=("3.6",),
    risk="Key material used for years widens the blast radius of a key compromise.",
    remediation="Enable automatic key rotation (EnableKeyRotation).", runbook="kms-key-rotation")
def cmk_backing_key_rotation_enabled(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """Enabled, symmetric, customer managed keys need rotation on (``KeyRotationStatus``); others are N/A."""
    manager = str(get(item, "configuration", "keyManager") or "CUSTOMER")
    spec = str(get(item, "configuration", "keySpec") or get(item, "configuration", "customerMasterKeySpec")
               or "SYMMETRIC_DEFAULT")
    state = str(get(item, "configuration", "keyState") or "Enabled")
    if manager != "CUSTOMER" or spec != "SYMMETRIC_DEFAULT" or state != "Enabled":
        return Result.not_applicable(f"{manager} {spec} key in state {state}")
    rotation = get(item, "supplementaryConfiguration", "KeyRotationStatus")
    if rotation is None:
        rotation = get(item, "configuration", "keyRotationEnabled")
    value = truthy(rotation)
    if value is None:
        return Result.insufficient("key rotation status not recorded")
    return Result.compliant() if value else Result.non_compliant("automatic key rotation is disabled")
