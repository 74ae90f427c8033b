"""IAM: users (with MFA devices, access keys and console password), roles, the account password
policy and the account summary (root MFA, root access keys). IAM is global: ``awsRegion`` is
``global`` as in AWS Config."""

from __future__ import annotations

from typing import Any

from assetguard.inventory.collectors.aws.session import AwsContext, optional, paginate
from assetguard.inventory.collectors.aws.shape import camel, iso, item, policy_document, tag_dict

PERMISSIONS = (
    "iam:ListUsers", "iam:ListMFADevices", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile",
    "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:GetUserPolicy", "iam:ListGroupsForUser",
    "iam:ListUserTags", "iam:ListRoles", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
    "iam:GetRolePolicy", "iam:ListRoleTags", "iam:GetAccountPasswordPolicy", "iam:GetAccountSummary",
)


def users(ctx: AwsContext) -> list[dict[str, Any]]:
    iam = ctx.client("iam")
    out = []
    for raw in paginate(iam, "list_users", "Users"):
        name = raw["UserName"]
        keys = []
        for key in paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=name):
            used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"]).get("AccessKeyLastUsed", {})
            keys.append({"accessKeyId": key["AccessKeyId"], "status": key["Status"], "createDate": iso(key["CreateDate"]),
                         "lastUsedDate": iso(used.get("LastUsedDate")), "lastUsedService": used.get("ServiceName")})
        login = optional(iam.get_login_profile, UserName=name)
        inline = [{"policyName": p, "policyDocument": policy_document(
            iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"])}
            for p in paginate(iam, "list_user_policies", "PolicyNames", UserName=name)]
        tags = tag_dict(paginate(iam, "list_user_tags", "Tags", UserName=name))
        config = camel({k: v for k, v in raw.items() if k != "Tags"})
        config.update({
            "userPolicyList": inline,
            "groupList": [g["GroupName"] for g in paginate(iam, "list_groups_for_user", "Groups", UserName=name)],
            "attachedManagedPolicies": camel(paginate(iam, "list_attached_user_policies", "AttachedPolicies",
                                                      UserName=name)),
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
            # assetguard additions (not recorded by AWS Config): MFA, keys, console password.
            "mfaDevices": [{"serialNumber": d["SerialNumber"], "enableDate": iso(d.get("EnableDate"))}
                           for d in paginate(iam, "list_mfa_devices", "MFADevices", UserName=name)],
            "accessKeys": keys,
            "passwordEnabled": login is not None,
            "passwordLastUsed": iso(raw.get("PasswordLastUsed")),
        })
        out.append(item(ctx, "AWS::IAM::User", raw["UserId"], raw["Arn"], name=name, region="global",
                        configuration=config, tags=tags, created=raw.get("CreateDate")))
    return out


def roles(ctx: AwsContext) -> list[dict[str, Any]]:
    iam = ctx.client("iam")
    out = []
    for raw in paginate(iam, "list_roles", "Roles"):
        name = raw["RoleName"]
        tags = tag_dict(paginate(iam, "list_role_tags", "Tags", RoleName=name))
        config = camel({k: v for k, v in raw.items() if k not in ("Tags", "AssumeRolePolicyDocument")})
        config.update({
            "assumeRolePolicyDocument": policy_document(raw.get("AssumeRolePolicyDocument")),
            "rolePolicyList": [{"policyName": p, "policyDocument": policy_document(
                iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])}
                for p in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name)],
            "attachedManagedPolicies": camel(paginate(iam, "list_attached_role_policies", "AttachedPolicies",
                                                      RoleName=name)),
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        })
        out.append(item(ctx, "AWS::IAM::Role", raw["RoleId"], raw["Arn"], name=name, region="global",
                        configuration=config, tags=tags, created=raw.get("CreateDate")))
    return out


def password_policy(ctx: AwsContext) -> list[dict[str, Any]]:
    raw = optional(ctx.client("iam").get_account_password_policy)
    config = camel(raw["PasswordPolicy"]) if raw else {}
    config["passwordPolicyPresent"] = raw is not None
    return [item(ctx, "AWS::IAM::AccountPasswordPolicy", ctx.account_id,
                 f"arn:{ctx.partition}:iam::{ctx.account_id}:account-password-policy", region="global",
                 configuration=config)]


def account_summary(ctx: AwsContext) -> list[dict[str, Any]]:
    summary = ctx.client("iam").get_account_summary()["SummaryMap"]
    config = {"summaryMap": dict(summary), "rootMfaEnabled": bool(summary.get("AccountMFAEnabled")),
              "rootAccessKeysPresent": bool(summary.get("AccountAccessKeysPresent"))}
    return [item(ctx, "AWS::IAM::AccountSummary", ctx.account_id,
                 f"arn:{ctx.partition}:iam::{ctx.account_id}:account-summary", region="global", configuration=config)]
