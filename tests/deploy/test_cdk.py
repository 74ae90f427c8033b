"""The plan on AWS, checked by synthesis only (no AWS account): CDK ``assertions`` on the templates."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "deploy" / "aws"))
    from assetguard_cdk.app import build
    from assetguard_cdk.config import DeployConfig
    from aws_cdk import App
    from aws_cdk.assertions import Template

    app = App()
    stacks = build(app, DeployConfig(account="123456789012", alert_emails=["ops@example.com"]))
    app.synth()
    return {"stacks": stacks, "templates": {k: Template.from_stack(s) for k, s in stacks.items()}}


def _resources(template: Any, kind: str) -> dict[str, Any]:
    return dict(template.find_resources(kind))


def test_web_acl_is_the_plan(synthesized: dict[str, Any]) -> None:
    waf = synthesized["templates"]["waf"]
    [acl] = _resources(waf, "AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    assert props["DefaultAction"] == {"Block": {}}
    rules = sorted(props["Rules"], key=lambda r: r["Priority"])
    groups = [r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in rules[:6]]
    assert set(groups) == {"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList",
                           "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                           "AWSManagedRulesLinuxRuleSet", "AWSManagedRulesSQLiRuleSet"}
    allow = rules[6]
    assert allow["Action"] == {"Allow": {}}
    prefixes = {s["ByteMatchStatement"]["SearchString"] for s in allow["Statement"]["OrStatement"]["Statements"]}
    assert prefixes == {"/user", "/content", "/was"}
    waf.has_output("WebAclCapacity", {"Value": "1381"})
    assert _resources(waf, "AWS::WAFv2::WebACLAssociation")
    [logging] = _resources(waf, "AWS::WAFv2::LoggingConfiguration").values()
    assert "aws-waf-logs-" in json.dumps(logging["Properties"]["LogDestinationConfigs"])


def test_budget_has_the_three_notifications(synthesized: dict[str, Any]) -> None:
    [budget] = _resources(synthesized["templates"]["cost"], "AWS::Budgets::Budget").values()
    props = budget["Properties"]
    assert props["Budget"]["BudgetName"] == "monthly-total"
    notes = {(n["Notification"]["NotificationType"], n["Notification"]["ComparisonOperator"],
              n["Notification"]["Threshold"]) for n in props["NotificationsWithSubscribers"]}
    assert notes == {("ACTUAL", "GREATER_THAN", 85), ("ACTUAL", "GREATER_THAN", 100),
                     ("FORECASTED", "GREATER_THAN", 100)}
    for n in props["NotificationsWithSubscribers"]:
        kinds = {s["SubscriptionType"] for s in n["Subscribers"]}
        assert kinds == {"EMAIL", "SNS"}


def test_every_baseline_config_rule_is_present_with_its_remediation(synthesized: dict[str, Any]) -> None:
    from assetguard.deploy.aws_plan import config_rules

    security = synthesized["templates"]["security"]
    config = _resources(security, "AWS::Config::ConfigRule")
    rules = {r["Properties"]["ConfigRuleName"]: r for r in config.values()}
    name_of = {logical: r["Properties"]["ConfigRuleName"] for logical, r in config.items()}
    remediations = _resources(security, "AWS::Config::RemediationConfiguration")
    plans = config_rules("baseline")
    assert len(plans) >= 25
    for plan in plans:
        rule = rules[f"assetguard-{plan.rule_id}"]
        assert rule["Properties"]["Source"] == {"Owner": "AWS", "SourceIdentifier": plan.source_identifier}
        if plan.remediation_document:
            matching = [r for r in remediations.values()
                        if r["Properties"]["TargetId"] == plan.remediation_document
                        and name_of[r["Properties"]["ConfigRuleName"]["Ref"]] == f"assetguard-{plan.rule_id}"]
            assert matching, plan.rule_id
            assert matching[0]["Properties"]["TargetType"] == "SSM_DOCUMENT"
    assert sum(1 for p in plans if p.remediation_document) >= 9
    assert _resources(security, "AWS::SecurityHub::Hub")
    [trail] = _resources(security, "AWS::CloudTrail::Trail").values()
    assert trail["Properties"]["EnableLogFileValidation"] is True and "KMSKeyId" in trail["Properties"]


def test_event_rules_equal_assetguard_rules_and_match_samples(synthesized: dict[str, Any]) -> None:
    from assetguard.events.default_rules import load_default_rules
    from assetguard.events.envelope import make_event
    from assetguard.events.pattern import compile_pattern

    shipped = {r.name: r.pattern for r in load_default_rules()}
    rules = {r["Properties"]["Name"]: r for r in
             _resources(synthesized["templates"]["security"], "AWS::Events::Rule").values()}
    assert set(rules) == {"assetguard-security-alerts", "assetguard-cce-remediation", "assetguard-autotag"}
    for name, rule in rules.items():
        assert rule["Properties"]["EventPattern"] == json.loads(json.dumps(shipped[name[len("assetguard-"):]]))
        [target] = rule["Properties"]["Targets"]
        assert "DeadLetterConfig" in target
    finding = {"SchemaVersion": "2018-10-08", "Id": "f1", "Severity": {"Label": "HIGH"},
               "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE"}
    alert = make_event("assetguard.findings", "Findings - Imported", {"findings": [finding]})
    created = make_event("aws.ec2", "AWS API Call via CloudTrail",
                         {"eventSource": "ec2.amazonaws.com", "eventName": "CreateVolume"})
    failed = make_event("aws.ec2", "AWS API Call via CloudTrail",
                        {"eventSource": "ec2.amazonaws.com", "eventName": "CreateVolume", "errorCode": "Denied"})
    deployed = {n[len("assetguard-"):]: compile_pattern(r["Properties"]["EventPattern"]) for n, r in rules.items()}
    assert deployed["security-alerts"].matches(alert)
    assert not deployed["security-alerts"].matches({**alert, "detail": {"findings": [{**finding,
                                                    "Severity": {"Label": "LOW"}}]}})
    assert deployed["autotag"].matches(created) and not deployed["autotag"].matches(failed)


def test_ecs_tasks_carry_the_adot_sidecar(synthesized: dict[str, Any]) -> None:
    for stack in ("service", "platform"):
        for task in _resources(synthesized["templates"][stack], "AWS::ECS::TaskDefinition").values():
            names = {c["Name"]: c for c in task["Properties"]["ContainerDefinitions"]}
            assert "adot-collector" in names
            env = {e["Name"]: e["Value"] for e in names["adot-collector"]["Environment"]}
            assert "awsecscontainermetrics" in env["AOT_CONFIG_CONTENT"]


def test_alb_is_https_only(synthesized: dict[str, Any]) -> None:
    listeners = _resources(synthesized["templates"]["service"], "AWS::ElasticLoadBalancingV2::Listener").values()
    by_port = {lst["Properties"]["Port"]: lst["Properties"] for lst in listeners}
    assert by_port[443]["Protocol"] == "HTTPS" and by_port[443]["Certificates"]
    assert by_port[80]["DefaultActions"][0]["Type"] == "redirect"
    assert by_port[80]["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    assert set(by_port) == {80, 443}


def test_no_iam_policy_grants_every_action_on_everything(synthesized: dict[str, Any]) -> None:
    def statements(template: Any) -> list[dict[str, Any]]:
        out = []
        for res in template.to_json()["Resources"].values():
            props = res.get("Properties", {})
            docs = [props.get("PolicyDocument")] + [p.get("PolicyDocument") for p in props.get("Policies", [])]
            for doc in docs:
                if isinstance(doc, dict):
                    out.extend(doc.get("Statement", []))
        return out

    for name, template in synthesized["templates"].items():
        for st in statements(template):
            actions = st.get("Action") if isinstance(st.get("Action"), list) else [st.get("Action")]
            resources = st.get("Resource") if isinstance(st.get("Resource"), list) else [st.get("Resource")]
            if st.get("Effect") != "Allow":
                continue  # Deny statements (e.g. refusing non-TLS S3 access) may be broad on purpose
            assert "*" not in actions, (name, st)
            assert not any(isinstance(a, str) and a.endswith(":*") and "*" in resources for a in actions), (name, st)


def test_cdk_nag_reports_no_unsuppressed_errors(synthesized: dict[str, Any]) -> None:
    from aws_cdk.assertions import Annotations, Match

    for name, stack in synthesized["stacks"].items():
        errors = Annotations.from_stack(stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
        assert not errors, (name, [(e.id, e.entry.data) for e in errors])


def test_wcu_above_the_maximum_fails_the_synth(monkeypatch: pytest.MonkeyPatch) -> None:
    from assetguard.core.errors import ValidationError
    from assetguard.deploy import aws_plan

    monkeypatch.setattr(aws_plan, "MAX_WCU", 1000)
    with pytest.raises(ValidationError, match="1381 WCU"):
        aws_plan.web_acl("baseline")


def test_grafana_is_provisioned_with_the_dashboards(synthesized: dict[str, Any]) -> None:
    obs = synthesized["templates"]["observability"]
    assert _resources(obs, "AWS::APS::Workspace") and _resources(obs, "AWS::Grafana::Workspace")
    [custom] = _resources(obs, "Custom::GrafanaDashboards").values()
    assert custom["Properties"]["Dashboards"] == ["grafana/security.json", "grafana/system.json",
                                                  "grafana/traces.json"]
    code = json.dumps(_resources(obs, "AWS::Lambda::Function"))
    assert "/api/dashboards/db" in code and "create_workspace_api_key" in code


def test_api_task_listens_on_its_interface_for_the_load_balancer(synthesized: dict[str, Any]) -> None:
    hosts = {}
    for task in _resources(synthesized["templates"]["platform"], "AWS::ECS::TaskDefinition").values():
        for container in task["Properties"]["ContainerDefinitions"]:
            if container["Name"] in ("api", "worker", "scheduler"):
                env = {e["Name"]: e.get("Value") for e in container.get("Environment", [])}
                hosts[container["Name"]] = env.get("ASSETGUARD_API__HOST")
    assert hosts == {"api": "0.0.0.0", "worker": None, "scheduler": None}
