"""What assetguard definitions become in AWS, as plain CloudFormation property dicts.

The CDK app (``deploy/aws``) builds its resources from these functions, and the tests check the
translation without AWS. Each function reads the same files the platform uses locally::

    acl = web_acl("baseline")                 # WAFv2 CreateWebACL JSON + capacity, from `waf export`
    budgets = budget_definitions()            # AWS::Budgets::Budget properties (monthly-total ...)
    rules = config_rules("baseline")          # AWS Config managed rules + SSM remediations
    patterns = eventbridge_rules()            # security-alerts, cce-remediation, autotag patterns
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assetguard.core.errors import ValidationError

MAX_WCU = 5000
# AWS::WAFv2::WebACL Description pattern (CloudFormation rejects anything else at deploy time).
WAF_DESCRIPTION = re.compile(r"[a-zA-Z0-9=:#@/\-,.][a-zA-Z0-9+=:#@/\-,.\s]+[a-zA-Z0-9+=:#@/\-,.]{1,256}")
RULES_FOR_AWS = ("security-alerts", "cce-remediation", "autotag")

# Our rule ids are AWS Config's rule names; the managed rule's SourceIdentifier is usually the
# name in upper snake case. These are the documented exceptions.
SOURCE_IDENTIFIER_EXCEPTIONS = {
    "restricted-ssh": "INCOMING_SSH_DISABLED",
    "restricted-common-ports": "RESTRICTED_INCOMING_TRAFFIC",
    "cloudtrail-enabled": "CLOUD_TRAIL_ENABLED",
    "cloud-trail-log-file-validation-enabled": "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
    "cmk-backing-key-rotation-enabled": "CMK_BACKING_KEY_ROTATION_ENABLED",
    "multi-region-cloudtrail-enabled": "MULTI_REGION_CLOUD_TRAIL_ENABLED",
    "cloudtrail-s3-dataevents-enabled": "CLOUDTRAIL_S3_DATAEVENTS_ENABLED",
    "ec2-imdsv2-check": "EC2_IMDSV2_CHECK",
}
# AWS Config rules only evaluate AWS resources; rules we run on hosts stay local.
LOCAL_ONLY_PREFIXES = ("linux-", "host-", "kisa-")
# The parameter through which each SSM remediation document receives the resource.
SSM_RESOURCE_PARAMETER = {
    "AWS-DisablePublicAccessForSecurityGroup": "GroupId",
    "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules": "GroupId",
    "AWS-EnableVPCFlowLogs": "VPCIds",
    "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock": "BucketName",
    "AWS-EnableS3BucketEncryption": "BucketName",
    "AWSConfigRemediation-EnableKeyRotation": "KeyId",
    "AWS-EnableCloudTrailLogFileValidation": "TrailName",
}


@dataclass
class WebAclPlan:
    name: str
    document: dict[str, Any]
    capacity: int
    rule_capacities: list[tuple[str, int]]


def web_acl(name_or_path: str = "baseline") -> WebAclPlan:
    """The ACL exactly as ``assetguard waf export`` writes it, with its capacity (checked ≤ 5,000)."""
    from assetguard.waf.documents import load_acl_document
    from assetguard.waf.engine import load_compiled_acl
    from assetguard.waf.wcu import capacity_report

    compiled = load_compiled_acl(name_or_path)
    report = capacity_report(compiled)
    if report.total > MAX_WCU:
        raise ValidationError(f"web ACL {compiled.name} needs {report.total} WCU; AWS allows at most {MAX_WCU}",
                              where=str(name_or_path))
    return WebAclPlan(compiled.name, load_acl_document(name_or_path), report.total, list(report.rules))


def cfn_web_acl_properties(plan: WebAclPlan, *, scope: str = "REGIONAL") -> dict[str, Any]:
    """AWS::WAFv2::WebACL properties (the API's CreateWebACL shape is CloudFormation's too)."""
    doc = plan.document
    props = {"Name": doc["Name"], "Scope": scope, "DefaultAction": doc["DefaultAction"], "Rules": doc.get("Rules", []),
             "VisibilityConfig": doc.get("VisibilityConfig") or {"SampledRequestsEnabled": True,
                                                                  "CloudWatchMetricsEnabled": True,
                                                                  "MetricName": doc["Name"]}}
    for key in ("Description", "CustomResponseBodies", "TokenDomains", "AssociationConfig"):
        if doc.get(key):
            props[key] = doc[key]
    if "Description" in props and not WAF_DESCRIPTION.fullmatch(props["Description"]):
        raise ValidationError("AWS WAF accepts only letters, digits, spaces and + = : # @ / - , . in a description",
                              where=f"{plan.name}: Description")
    return props


def budget_definitions(paths: list[Path] | None = None) -> list[dict[str, Any]]:
    """AWS::Budgets::Budget properties from assetguard budget files (default: the shipped ones)."""
    import assetguard.cost

    files = paths or sorted((Path(assetguard.cost.__file__).parent / "defaults").glob("*.yaml"))
    out = []
    for path in files:
        doc = yaml.safe_load(path.read_text())
        budget = dict(doc["Budget"])
        if "BudgetLimit" in budget:
            budget["BudgetLimit"] = {"Amount": float(budget["BudgetLimit"]["Amount"]),
                                     "Unit": budget["BudgetLimit"]["Unit"]}
        budget.pop("Metrics", None)  # our cash/amortised choice; AWS uses CostTypes instead
        out.append({"Budget": budget, "NotificationsWithSubscribers": [
            {"Notification": n["Notification"], "Subscribers": list(n.get("Subscribers") or [])}
            for n in doc.get("NotificationsWithSubscribers", [])]})
    return out


@dataclass
class ConfigRulePlan:
    rule_id: str
    source_identifier: str
    resource_types: tuple[str, ...]
    remediation_document: str | None = None
    resource_parameter: str | None = None
    automatic: bool = False
    permissions: tuple[str, ...] = field(default_factory=tuple)


def source_identifier(rule_id: str) -> str:
    return SOURCE_IDENTIFIER_EXCEPTIONS.get(rule_id, rule_id.replace("-", "_").upper())


def config_rules(pack: str = "baseline") -> list[ConfigRulePlan]:
    """The pack's AWS rules as AWS Config managed rules, each with its SSM remediation if it has one."""
    from assetguard.compliance.packs import get_pack
    from assetguard.compliance.rule import load_all_rules
    from assetguard.compliance.runbooks.base import load_all_runbooks

    rules = load_all_rules()
    runbooks = load_all_runbooks()
    out = []
    for rule_id in get_pack(pack).rule_ids:
        rule = rules.get(rule_id)
        if rule.meta.provider != "aws" or rule_id.startswith(LOCAL_ONLY_PREFIXES):
            continue
        types = tuple(t for t in rule.meta.resource_types if t.startswith("AWS::")
                      and not _assetguard_only_type(t))
        plan = ConfigRulePlan(rule_id, source_identifier(rule_id), types)
        if rule.meta.runbook and rule.meta.runbook in runbooks:
            book = runbooks.get(rule.meta.runbook)
            if book.ssm_document:
                plan.remediation_document = book.ssm_document
                plan.resource_parameter = SSM_RESOURCE_PARAMETER.get(book.ssm_document)
                plan.automatic = True
                plan.permissions = tuple(book.permissions)
        out.append(plan)
    return out


def _assetguard_only_type(resource_type: str) -> bool:
    # Types assetguard synthesises for account settings have no AWS Config equivalent.
    return resource_type.split("::")[-1] in {"EBSEncryptionByDefault", "AccountPasswordPolicy", "AccountSummary",
                                              "AccountPublicAccessBlock"}


@dataclass
class EventRulePlan:
    name: str
    description: str
    pattern: dict[str, Any]


def eventbridge_rules(names: tuple[str, ...] = RULES_FOR_AWS) -> list[EventRulePlan]:
    """The shipped rules' patterns, unchanged, for EventBridge rules that feed assetguard's queue."""
    from assetguard.events.default_rules import load_default_rules

    by_name = {r.name: r for r in load_default_rules()}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValidationError(f"no shipped rule named {', '.join(missing)}", where="events/defaults")
    return [EventRulePlan(n, by_name[n].description[:512], json.loads(json.dumps(by_name[n].pattern)))
            for n in names]


def platform_permissions() -> dict[str, list[str]]:
    """IAM actions the platform's roles need, from what collectors, runbooks and targets declare."""
    actions: dict[str, set[str]] = {"collect": set(), "remediate": set(), "tag": set()}
    from assetguard.compliance.runbooks.base import load_all_runbooks

    runbooks = load_all_runbooks()
    for _name, book in runbooks.items():
        actions["remediate"].update(p for p in book.permissions if ":" in p)
    from assetguard.inventory.collectors.base import collectors
    from assetguard.runtime.plugins import load_builtin_plugins

    load_builtin_plugins()  # collectors register themselves from the inventory plugins
    for _name, collector in collectors.items():
        actions["collect"].update(p for p in getattr(collector, "permissions", ()) if ":" in p)
    from assetguard.tagging.backfill import PERMISSIONS as BACKFILL
    from assetguard.tagging.taggers import PERMISSIONS as TAGGERS

    actions["tag"].update(BACKFILL)
    for perms in TAGGERS.values():
        actions["tag"].update(perms)
    for key, values in actions.items():
        bad = [a for a in values if a == "*" or not re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9*]+", a)]
        if bad:
            raise ValidationError(f"declared permissions are not IAM actions: {bad}", where=key)
    return {k: sorted(v) for k, v in actions.items()}
