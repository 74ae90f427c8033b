"""S3 rules: public read/write (Block Public Access, ACL, bucket policy), encryption, versioning,
logging, TLS-only, and the account-level public access block."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from assetguard.compliance.ci import (
    as_list,
    get,
    has_restricting_condition,
    is_public_principal,
    key,
    policy_statements,
    truthy,
)
from assetguard.compliance.context import ACCOUNT_PAB, EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule

BUCKET = "AWS::S3::Bucket"
PAB_FLAGS = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
PUBLIC_GROUPS = ("allusers", "authenticatedusers")
READ_ACTIONS = ("s3:getobject", "s3:get*", "s3:listbucket", "s3:list*", "s3:*", "*")
WRITE_ACTIONS = ("s3:putobject", "s3:put*", "s3:deleteobject", "s3:delete*", "s3:*", "*")


def _pab(doc: Any) -> dict[str, bool]:
    return {flag: bool(truthy(key(doc, flag))) for flag in PAB_FLAGS} if isinstance(doc, dict) else {}


def effective_pab(item: dict[str, Any], ctx: EvaluationContext) -> dict[str, bool]:
    """Bucket-level OR account-level Block Public Access flags."""
    bucket = _pab(get(item, "supplementaryConfiguration", "PublicAccessBlockConfiguration"))
    acct_item = ctx.account_item(ACCOUNT_PAB, item.get("accountId"))
    account = _pab(acct_item.get("configuration")) if acct_item else {}
    return {f: bucket.get(f, False) or account.get(f, False) for f in PAB_FLAGS}


def _acl_public_permissions(item: dict[str, Any]) -> set[str]:
    acl = get(item, "supplementaryConfiguration", "AccessControlList")
    grants = as_list(key(acl, "grantList")) + as_list(key(acl, "grants"))
    perms: set[str] = set()
    for grant in grants:
        grantee = key(grant, "grantee")
        names = [str(grantee)] if isinstance(grantee, str) else [str(key(grantee, "uri") or ""),
                                                                 str(key(grantee, "id") or "")]
        if any(n.lower().rstrip("/").endswith(g) for n in names for g in PUBLIC_GROUPS):
            perms.add(str(key(grant, "permission") or "").replace("_", "").lower())
    return perms


def _policy_public_actions(item: dict[str, Any]) -> set[str]:
    policy = get(item, "supplementaryConfiguration", "BucketPolicy")
    actions: set[str] = set()
    for st in policy_statements(policy):
        if st.get("Effect") != "Allow" or not is_public_principal(st.get("Principal")):
            continue
        if has_restricting_condition(st):
            continue
        actions.update(str(a).lower() for a in as_list(st.get("Action")))
    return actions


def _public_access(item: dict[str, Any], ctx: EvaluationContext, acl_perms: tuple[str, ...],
                   policy_actions: tuple[str, ...], what: str) -> Result:
    pab = effective_pab(item, ctx)
    reasons = []
    if not pab["ignorePublicAcls"] and _acl_public_permissions(item) & set(acl_perms):
        reasons.append(f"the bucket ACL grants public {what}")
    if not pab["restrictPublicBuckets"] and _policy_public_actions(item) & set(policy_actions):
        reasons.append(f"the bucket policy allows public {what}")
    if reasons:
        return Result.non_compliant("; ".join(reasons))
    return Result.compliant(f"no public {what} access")


@compliance_rule(
    id="s3-bucket-public-read-prohibited", title="S3 buckets do not allow public read access", severity="CRITICAL",
    resource_types=(BUCKET,), trigger="both", cis=("2.1.5",),
    risk="Anyone on the internet can list or download the bucket's objects.",
    remediation="Turn on S3 Block Public Access for the bucket and remove public grants and policy statements.",
    runbook="s3-block-public-access")
def s3_bucket_public_read_prohibited(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when the ACL or bucket policy grants public read and Block Public Access does not stop it."""
    return _public_access(item, ctx, ("read", "fullcontrol"), READ_ACTIONS, "read")


@compliance_rule(
    id="s3-bucket-public-write-prohibited", title="S3 buckets do not allow public write access", severity="CRITICAL",
    resource_types=(BUCKET,), trigger="both", cis=("2.1.5",),
    risk="Anyone can upload, overwrite or delete objects (malware hosting, data destruction).",
    remediation="Turn on S3 Block Public Access for the bucket and remove public grants and policy statements.",
    runbook="s3-block-public-access")
def s3_bucket_public_write_prohibited(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when the ACL or bucket policy grants public write and Block Public Access does not stop it."""
    return _public_access(item, ctx, ("write", "fullcontrol"), WRITE_ACTIONS, "write")


@compliance_rule(
    id="s3-bucket-server-side-encryption-enabled", title="S3 buckets have default encryption configured",
    severity="MEDIUM", resource_types=(BUCKET,), trigger="on-change", cis=("2.1.1",),
    risk="Objects written without encryption headers are stored unencrypted.",
    remediation="Configure default encryption (SSE-S3 or SSE-KMS) on the bucket.",
    runbook="s3-default-encryption")
def s3_bucket_server_side_encryption_enabled(item: dict[str, Any], ctx: EvaluationContext,
                                             params: NoParams) -> Result:
    """NON_COMPLIANT when ``ServerSideEncryptionConfiguration`` has no default-encryption rule."""
    sse = get(item, "supplementaryConfiguration", "ServerSideEncryptionConfiguration")
    for rule in as_list(key(sse, "rules")):
        algo = get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if algo:
            return Result.compliant(f"default encryption {algo}")
    return Result.non_compliant("no default encryption configured")


@compliance_rule(
    id="s3-bucket-level-public-access-prohibited", title="S3 buckets have Block Public Access fully enabled",
    severity="HIGH", resource_types=(BUCKET,), trigger="on-change", cis=("2.1.5",),
    risk="Without bucket-level Block Public Access a single ACL or policy edit can make data public.",
    remediation="Enable all four Block Public Access settings on the bucket.", runbook="s3-block-public-access")
def s3_bucket_level_public_access_prohibited(item: dict[str, Any], ctx: EvaluationContext,
                                             params: NoParams) -> Result:
    """NON_COMPLIANT unless all four bucket-level Block Public Access flags are true."""
    pab = _pab(get(item, "supplementaryConfiguration", "PublicAccessBlockConfiguration"))
    missing = [f for f in PAB_FLAGS if not pab.get(f)]
    return Result.non_compliant(f"not enabled: {', '.join(missing)}") if missing else Result.compliant()


class AccountPabParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    BlockPublicAcls: bool = True
    IgnorePublicAcls: bool = True
    BlockPublicPolicy: bool = True
    RestrictPublicBuckets: bool = True


@compliance_rule(
    id="s3-account-level-public-access-blocks", title="S3 Block Public Access is enabled for the account",
    severity="HIGH", resource_types=(ACCOUNT_PAB,), trigger="periodic", cis=("2.1.5",),
    risk="Every new bucket can be made public by one ACL or policy mistake.",
    remediation="Enable the four S3 Block Public Access settings at the account level.",
    runbook="s3-account-public-access-block", params=AccountPabParams)
def s3_account_level_public_access_blocks(item: dict[str, Any], ctx: EvaluationContext,
                                          params: AccountPabParams) -> Result:
    """Each required flag of the account's public access block (``configuration``) must be true."""
    doc = item.get("configuration") or {}
    if key(doc, "configured") is False:
        return Result.non_compliant("no account-level public access block is configured")
    pab = _pab(doc)
    wanted = {f: getattr(params, f[0].upper() + f[1:]) for f in PAB_FLAGS}
    missing = [f for f in PAB_FLAGS if wanted[f] and not pab.get(f)]
    return Result.non_compliant(f"not enabled: {', '.join(missing)}") if missing else Result.compliant()


@compliance_rule(
    id="s3-bucket-versioning-enabled", title="S3 buckets have versioning enabled", severity="LOW",
    resource_types=(BUCKET,), trigger="on-change",
    risk="Overwritten or deleted objects cannot be recovered (ransomware, mistakes).",
    remediation="Enable versioning on the bucket.")
def s3_bucket_versioning_enabled(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT unless ``BucketVersioningConfiguration.status`` is Enabled."""
    status = get(item, "supplementaryConfiguration", "BucketVersioningConfiguration", "status")
    return Result.compliant() if str(status) == "Enabled" else Result.non_compliant(f"versioning is {status or 'Off'}")


@compliance_rule(
    id="s3-bucket-logging-enabled", title="S3 buckets have server access logging enabled", severity="LOW",
    resource_types=(BUCKET,), trigger="on-change", cis=("3.6",),
    risk="Without access logs, reads of sensitive objects leave no trace.",
    remediation="Enable server access logging to a dedicated log bucket.")
def s3_bucket_logging_enabled(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT unless ``BucketLoggingConfiguration.destinationBucketName`` is set."""
    dest = get(item, "supplementaryConfiguration", "BucketLoggingConfiguration", "destinationBucketName")
    return Result.compliant(f"logs to {dest}") if dest else Result.non_compliant("server access logging disabled")


@compliance_rule(
    id="s3-bucket-ssl-requests-only", title="S3 bucket policies deny requests without TLS", severity="MEDIUM",
    resource_types=(BUCKET,), trigger="on-change", cis=("2.1.2",),
    risk="Clients may read and write objects over plain HTTP.",
    remediation="Add a Deny statement for all principals with Condition Bool aws:SecureTransport false.")
def s3_bucket_ssl_requests_only(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """COMPLIANT when the policy denies ``aws:SecureTransport = false`` to every principal."""
    for st in policy_statements(get(item, "supplementaryConfiguration", "BucketPolicy")):
        if st.get("Effect") != "Deny" or not is_public_principal(st.get("Principal")):
            continue
        cond = st.get("Condition") or {}
        for op in cond.values():
            if isinstance(op, dict):
                for k, v in op.items():
                    if k.lower() == "aws:securetransport" and str(v).lower() in ("false", "['false']"):
                        return Result.compliant()
    return Result.non_compliant("no policy statement denies non-TLS requests")
