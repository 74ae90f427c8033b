"""Account and service runbooks: IAM password policy, KMS key rotation, CloudTrail log file validation."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from assetguard.compliance.runbooks.base import NoParams, Runbook, RunbookEnv, RunbookOutput, runbooks


class PasswordPolicy(BaseModel):
    """The policy to set (defaults satisfy iam-password-policy's defaults and CIS 1.8/1.9)."""

    model_config = ConfigDict(extra="forbid")
    MinimumPasswordLength: int = Field(14, ge=6, le=128)
    RequireSymbols: bool = True
    RequireNumbers: bool = True
    RequireUppercaseCharacters: bool = True
    RequireLowercaseCharacters: bool = True
    AllowUsersToChangePassword: bool = True
    MaxPasswordAge: int = Field(90, ge=1, le=1095)
    PasswordReusePrevention: int = Field(24, ge=1, le=24)


@runbooks.register("iam-password-policy")
class SetPasswordPolicy(Runbook):
    """Set the account password policy; settings already at least as strict are kept.

    remediation: {rule: iam-password-policy, runbook: iam-password-policy, approval: auto}
    """

    name = "iam-password-policy"
    Params = PasswordPolicy
    permissions = ("iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy")
    ssm_document = "AWSConfigRemediation-SetIAMPasswordPolicy"
    resource_types = ("AWS::IAM::AccountPasswordPolicy",)

    def run(self, item: dict[str, Any], params: PasswordPolicy, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        iam = env.client("iam", "us-east-1")
        try:
            current = iam.get_account_password_policy()["PasswordPolicy"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
            current = {}
        wanted = params.model_dump()
        merged = dict(wanted)
        for k in ("MinimumPasswordLength", "PasswordReusePrevention"):
            merged[k] = max(wanted[k], int(current.get(k) or 0))
        if current.get("MaxPasswordAge"):
            merged["MaxPasswordAge"] = min(wanted["MaxPasswordAge"], int(current["MaxPasswordAge"]))
        for k in ("RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters", "RequireLowercaseCharacters"):
            merged[k] = bool(wanted[k] or current.get(k))
        changed = [k for k, v in merged.items() if current.get(k) != v]
        if not changed:
            return RunbookOutput(False, [])
        if not dry_run:
            iam.update_account_password_policy(**merged)
        return RunbookOutput(True, [f"set {k}={merged[k]}" for k in changed])

    def ssm_parameters(self, item: dict[str, Any], params: Any) -> dict[str, list[str]]:
        return {k: [str(v).lower() if isinstance(v, bool) else str(v)] for k, v in params.model_dump().items()
                if k != "AllowUsersToChangePassword"}


@runbooks.register("kms-key-rotation")
class EnableKeyRotation(Runbook):
    """Enable automatic rotation of a customer managed symmetric KMS key.

    remediation: {rule: cmk-backing-key-rotation-enabled, runbook: kms-key-rotation, approval: auto}
    """

    name = "kms-key-rotation"
    permissions = ("kms:GetKeyRotationStatus", "kms:EnableKeyRotation")
    ssm_document = "AWSConfigRemediation-EnableKeyRotation"
    resource_types = ("AWS::KMS::Key",)

    def run(self, item: dict[str, Any], params: NoParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        kms = env.client("kms", item.get("awsRegion"))
        if kms.get_key_rotation_status(KeyId=item["resourceId"]).get("KeyRotationEnabled"):
            return RunbookOutput(False, [])
        if not dry_run:
            kms.enable_key_rotation(KeyId=item["resourceId"])
        return RunbookOutput(True, [f"enable rotation of key {item['resourceId']}"])

    def ssm_parameters(self, item: dict[str, Any], params: Any) -> dict[str, list[str]]:
        return {"KeyId": [item["resourceId"]]}


@runbooks.register("cloudtrail-log-file-validation")
class EnableLogFileValidation(Runbook):
    """Enable log file validation (digest files) on a CloudTrail trail.

    remediation: {rule: cloud-trail-log-file-validation-enabled, runbook: cloudtrail-log-file-validation}
    """

    name = "cloudtrail-log-file-validation"
    permissions = ("cloudtrail:DescribeTrails", "cloudtrail:UpdateTrail")
    ssm_document = "AWS-EnableCloudTrailLogFileValidation"
    resource_types = ("AWS::CloudTrail::Trail",)

    def run(self, item: dict[str, Any], params: NoParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        ct = env.client("cloudtrail", item.get("awsRegion"))
        trail = ct.describe_trails(trailNameList=[item["arn"]])["trailList"]
        if trail and trail[0].get("LogFileValidationEnabled"):
            return RunbookOutput(False, [])
        if not dry_run:
            ct.update_trail(Name=item["arn"], EnableLogFileValidation=True)
        return RunbookOutput(True, [f"enable log file validation on {item['resourceId']}"])

    def ssm_parameters(self, item: dict[str, Any], params: Any) -> dict[str, list[str]]:
        return {"TrailName": [item["resourceId"]]}
