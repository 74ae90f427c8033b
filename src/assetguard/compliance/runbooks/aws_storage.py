"""Storage runbooks: S3 public access blocks (bucket and account), S3 default encryption, EBS default encryption."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from assetguard.compliance.runbooks.base import NoParams, Runbook, RunbookEnv, RunbookOutput, runbooks

ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}


def _missing(error_codes: tuple[str, ...], call: Any, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in error_codes:
            return None
        raise


@runbooks.register("s3-block-public-access")
class S3BlockPublicAccess(Runbook):
    """Turn on all four S3 Block Public Access settings for the bucket.

    remediation: {rule: s3-bucket-public-read-prohibited, runbook: s3-block-public-access, approval: auto}
    """

    name = "s3-block-public-access"
    permissions = ("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock")
    ssm_document = "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock"
    resource_types = ("AWS::S3::Bucket",)

    def run(self, item: dict[str, Any], params: NoParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        s3 = env.client("s3", item.get("awsRegion"))
        current = _missing(("NoSuchPublicAccessBlockConfiguration",), s3.get_public_access_block,
                           Bucket=item["resourceId"])
        conf = (current or {}).get("PublicAccessBlockConfiguration", {})
        off = [k for k, v in ALL_BLOCKED.items() if conf.get(k) != v]
        if not off:
            return RunbookOutput(False, [])
        if not dry_run:
            s3.put_public_access_block(Bucket=item["resourceId"], PublicAccessBlockConfiguration=ALL_BLOCKED)
        return RunbookOutput(True, [f"enable {', '.join(off)} on bucket {item['resourceId']}"])

    def ssm_parameters(self, item: dict[str, Any], params: Any) -> dict[str, list[str]]:
        return {"BucketName": [item["resourceId"]]}


@runbooks.register("s3-account-public-access-block")
class S3AccountPublicAccessBlock(Runbook):
    """Turn on all four S3 Block Public Access settings for the whole account.

    remediation: {rule: s3-account-level-public-access-blocks, runbook: s3-account-public-access-block}
    """

    name = "s3-account-public-access-block"
    permissions = ("s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock")
    ssm_document = "AWSConfigRemediation-ConfigureS3PublicAccessBlock"
    resource_types = ("AWS::S3::AccountPublicAccessBlock",)

    def run(self, item: dict[str, Any], params: NoParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        control = env.client("s3control", "us-east-1")
        account = str(item.get("accountId"))
        current = _missing(("NoSuchPublicAccessBlockConfiguration",), control.get_public_access_block,
                           AccountId=account)
        conf = (current or {}).get("PublicAccessBlockConfiguration", {})
        off = [k for k, v in ALL_BLOCKED.items() if conf.get(k) != v]
        if not off:
            return RunbookOutput(False, [])
        if not dry_run:
            control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration=ALL_BLOCKED)
        return RunbookOutput(True, [f"enable {', '.join(off)} for account {account}"])


class EncryptionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kms_key_id: str | None = None  # None = SSE-S3 (AES256)


@runbooks.register("s3-default-encryption")
class S3DefaultEncryption(Runbook):
    """Configure default encryption on the bucket (SSE-S3, or SSE-KMS with ``kms_key_id``).

    remediation: {rule: s3-bucket-server-side-encryption-enabled, runbook: s3-default-encryption, approval: auto}
    """

    name = "s3-default-encryption"
    Params = EncryptionParams
    permissions = ("s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration")
    ssm_document = "AWS-EnableS3BucketEncryption"
    resource_types = ("AWS::S3::Bucket",)

    def run(self, item: dict[str, Any], params: EncryptionParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        s3 = env.client("s3", item.get("awsRegion"))
        current = _missing(("ServerSideEncryptionConfigurationNotFoundError",), s3.get_bucket_encryption,
                           Bucket=item["resourceId"])
        rules = (current or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        if any(r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules):
            return RunbookOutput(False, [])
        default: dict[str, str] = {"SSEAlgorithm": "aws:kms" if params.kms_key_id else "AES256"}
        if params.kms_key_id:
            default["KMSMasterKeyID"] = params.kms_key_id
        if not dry_run:
            s3.put_bucket_encryption(Bucket=item["resourceId"], ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": default}]})
        return RunbookOutput(True, [f"set default encryption {default['SSEAlgorithm']} on {item['resourceId']}"])

    def ssm_parameters(self, item: dict[str, Any], params: Any) -> dict[str, list[str]]:
        return {"BucketName": [item["resourceId"]], "SSEAlgorithm": ["aws:kms" if params.kms_key_id else "AES256"]}


@runbooks.register("enable-ebs-encryption-by-default")
class EnableEbsEncryptionByDefault(Runbook):
    """Enable EBS encryption by default in the item's region.

    remediation: {rule: ec2-ebs-encryption-by-default, runbook: enable-ebs-encryption-by-default, approval: auto}
    """

    name = "enable-ebs-encryption-by-default"
    permissions = ("ec2:GetEbsEncryptionByDefault", "ec2:EnableEbsEncryptionByDefault")
    ssm_document = "AWSConfigRemediation-EnableEbsEncryptionByDefault"
    resource_types = ("AWS::EC2::EBSEncryptionByDefault",)

    def run(self, item: dict[str, Any], params: NoParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        ec2 = env.client("ec2", item.get("awsRegion"))
        if ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]:
            return RunbookOutput(False, [])
        if not dry_run:
            ec2.enable_ebs_encryption_by_default()
        return RunbookOutput(True, [f"enable EBS encryption by default in {item.get('awsRegion')}"])
