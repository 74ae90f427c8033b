"""Budgets generated from assetguard budget definitions (``monthly-total`` with the plan's three
notifications), e-mailing the team and publishing to an encrypted SNS topic."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from assetguard.deploy.aws_plan import budget_definitions
from assetguard_cdk.config import DeployConfig


class CostStack(Stack):
    def __init__(self, scope: Construct, cid: str, cfg: DeployConfig, **kwargs: object) -> None:
        super().__init__(scope, cid, **kwargs)
        key = kms.Key(self, "AlertsKey", enable_key_rotation=True, description="assetguard budget alerts")
        key.grant_encrypt_decrypt(iam.ServicePrincipal("budgets.amazonaws.com"))
        self.topic = sns.Topic(self, "BudgetAlerts", master_key=key, enforce_ssl=True)
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("budgets.amazonaws.com")], actions=["sns:Publish"],
            resources=[self.topic.topic_arn], conditions={"StringEquals": {"aws:SourceAccount": self.account}}))
        for definition in budget_definitions():
            name = definition["Budget"]["BudgetName"]
            budget = budgets.CfnBudget(self, f"Budget-{name}", budget=budgets.CfnBudget.BudgetDataProperty(
                budget_type="COST", time_unit=definition["Budget"]["TimeUnit"]))
            budget.add_property_override("Budget", definition["Budget"])
            notifications = []
            for n in definition["NotificationsWithSubscribers"]:
                emails = [s for s in n["Subscribers"] if s.get("SubscriptionType") == "EMAIL"] or [
                    {"SubscriptionType": "EMAIL", "Address": a} for a in cfg.alert_emails]
                notifications.append({"Notification": n["Notification"],
                                      "Subscribers": [*emails[:9], {"SubscriptionType": "SNS",
                                                                    "Address": self.topic.topic_arn}]})
            budget.add_property_override("NotificationsWithSubscribers", notifications)
