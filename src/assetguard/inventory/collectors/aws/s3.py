"""S3 buckets (account-wide listing) and the account-level public access block.

``supplementaryConfiguration`` carries what AWS Config records for a bucket; the keys and
their inner lowerCamel fields match AWS Config (``PublicAccessBlockConfiguration.blockPublicAcls``,
``ServerSideEncryptionConfiguration.rules[].applyServerSideEncryptionByDefault.sseAlgorithm``, ...).
``BucketPolicyStatus`` (``isPublic``) is an assetguard addition from ``GetBucketPolicyStatus``.
"""

from __future__ import annotations

from typing import Any

from assetguard.inventory.collectors.aws.session import AwsContext, optional
from assetguard.inventory.collectors.aws.shape import camel, item, tag_dict

PERMISSIONS = (
    "s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketPublicAccessBlock", "s3:GetEncryptionConfiguration",
    "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus", "s3:GetBucketVersioning", "s3:GetBucketLogging",
    "s3:GetBucketAcl", "s3:GetBucketTagging", "s3:GetAccountPublicAccessBlock", "sts:GetCallerIdentity",
)


def _pab(raw: dict[str, Any] | None) -> dict[str, bool] | None:
    if raw is None:
        return None
    conf = raw.get("PublicAccessBlockConfiguration", {})
    return {"blockPublicAcls": bool(conf.get("BlockPublicAcls")), "ignorePublicAcls": bool(conf.get("IgnorePublicAcls")),
            "blockPublicPolicy": bool(conf.get("BlockPublicPolicy")),
            "restrictPublicBuckets": bool(conf.get("RestrictPublicBuckets"))}


def _encryption(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    rules = []
    for rule in raw.get("ServerSideEncryptionConfiguration", {}).get("Rules", []):
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        rules.append({"applyServerSideEncryptionByDefault": {"sseAlgorithm": default.get("SSEAlgorithm"),
                                                             "kmsMasterKeyID": default.get("KMSMasterKeyID")},
                      "bucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False))})
    return {"rules": rules}


def buckets(ctx: AwsContext) -> list[dict[str, Any]]:
    s3 = ctx.client("s3")
    listing = s3.list_buckets()
    owner = camel(listing.get("Owner", {}))
    out = []
    for bucket in listing.get("Buckets", []):
        name = bucket["Name"]
        region = (s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1")
        if region == "EU":
            region = "eu-west-1"
        policy = optional(s3.get_bucket_policy, Bucket=name)
        status = optional(s3.get_bucket_policy_status, Bucket=name)
        versioning = s3.get_bucket_versioning(Bucket=name)
        logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
        acl = s3.get_bucket_acl(Bucket=name)
        tagging = optional(s3.get_bucket_tagging, Bucket=name)
        supplementary = {
            "AccessControlList": {"owner": camel(acl.get("Owner", {})), "grantList": camel(acl.get("Grants", []))},
            "BucketLoggingConfiguration": {"destinationBucketName": (logging or {}).get("TargetBucket"),
                                           "logFilePrefix": (logging or {}).get("TargetPrefix")},
            "BucketPolicy": {"policyText": policy.get("Policy") if policy else None},
            "BucketPolicyStatus": {"isPublic": bool(status and status["PolicyStatus"].get("IsPublic"))},
            "BucketVersioningConfiguration": {"status": versioning.get("Status", "Off"),
                                              "isMfaDeleteEnabled": versioning.get("MFADelete") == "Enabled"
                                              if "MFADelete" in versioning else None},
            "PublicAccessBlockConfiguration": _pab(optional(s3.get_public_access_block, Bucket=name)),
            "ServerSideEncryptionConfiguration": _encryption(optional(s3.get_bucket_encryption, Bucket=name)),
        }
        tags = tag_dict((tagging or {}).get("TagSet"))
        out.append(item(ctx, "AWS::S3::Bucket", name, f"arn:{ctx.partition}:s3:::{name}", name=name, region=region,
                        configuration={"name": name, "owner": owner, "creationDate": camel(bucket.get("CreationDate"))},
                        supplementary=supplementary, tags=tags, created=bucket.get("CreationDate")))
    return out


def account_public_access_block(ctx: AwsContext) -> list[dict[str, Any]]:
    raw = optional(ctx.client("s3control").get_public_access_block, AccountId=ctx.account_id)
    conf = _pab(raw) or {"blockPublicAcls": False, "ignorePublicAcls": False, "blockPublicPolicy": False,
                          "restrictPublicBuckets": False}
    return [item(ctx, "AWS::S3::AccountPublicAccessBlock", ctx.account_id,
                 f"arn:{ctx.partition}:s3::{ctx.account_id}:account-public-access-block", region="global",
                 configuration={**conf, "configured": raw is not None})]
