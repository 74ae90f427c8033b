"""Provision budgets in AWS Budgets (``push``) and import them (``pull``) with boto3.

``push`` creates a missing budget with its notifications and subscribers (e-mail addresses from the
notification, else ``smtp.recipients``; plus ``cost.sns_topic_arn`` / ``--sns-topic`` as an SNS
subscriber), or brings an existing one in line: ``UpdateBudget`` when the budget body differs,
``DeleteNotification`` / ``CreateNotification`` for notifications that differ::

    AwsBudgets(platform).push(names=["monthly-total"], sns_topic=None, dry_run=False, actor=cli_principal())
    # ['created monthly-total (3 notifications)']

Permissions: budgets:ViewBudget, budgets:ModifyBudget, sts:GetCallerIdentity.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from assetguard.auth.principal import Principal
from assetguard.core.errors import ValidationError, provider_error
from assetguard.cost.budget import BudgetDefinition, Notification, NotificationWithSubscribers, Subscriber
from assetguard.cost.budgets import BudgetStore

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

PERMISSIONS = ("budgets:ViewBudget", "budgets:ModifyBudget", "sts:GetCallerIdentity")
AWS_METRIC = {"BilledCost": "UnblendedCost", "EffectiveCost": "AmortizedCost"}
# Fields compared to decide whether UpdateBudget is needed.
BODY_FIELDS = ("BudgetType", "TimeUnit", "BudgetLimit", "PlannedBudgetLimits", "FilterExpression", "CostFilters")


class AwsBudgets:
    def __init__(self, platform: Platform, *, account_id: str | None = None, client: Any = None) -> None:
        self.platform = platform
        aws = platform.settings.aws
        session = boto3.Session(profile_name=aws.profile) if aws.profile else boto3.Session()
        self.client = client or session.client("budgets", region_name="us-east-1", endpoint_url=aws.endpoint_url)
        self._session = session
        self._account_id = account_id

    @property
    def account_id(self) -> str:
        if self._account_id is None:
            try:
                sts = self._session.client("sts", region_name="us-east-1",
                                           endpoint_url=self.platform.settings.aws.endpoint_url)
                self._account_id = str(sts.get_caller_identity()["Account"])
            except (ClientError, BotoCoreError) as exc:
                raise provider_error("cannot determine the AWS account", exc) from None
        return self._account_id

    # -- push ---------------------------------------------------------------------------------
    def push(self, *, names: list[str] | None, sns_topic: str | None, dry_run: bool,
             actor: Principal) -> list[str]:
        store = BudgetStore(self.platform)
        definitions = [store.get(n) for n in names] if names else store.list()
        topic = sns_topic or self.platform.settings.cost.sns_topic_arn
        changes: list[str] = []
        for d in definitions:
            changes += self._push_one(d, topic, dry_run)
        if not dry_run and changes:
            with self.platform.db.begin() as conn:
                self.platform.audit.record(conn, actor, "cost.budget.push", f"aws-budgets/{self.account_id}",
                                           after={"changes": changes})
        return changes

    def _push_one(self, d: BudgetDefinition, topic: str | None, dry_run: bool) -> list[str]:
        body = to_aws_budget(d)
        wanted = {n.Notification.key: self._aws_notification(n, topic) for n in d.NotificationsWithSubscribers}
        skipped = [k for k, v in wanted.items() if not v["Subscribers"]]
        wanted = {k: v for k, v in wanted.items() if v["Subscribers"]}
        notes = [f"skipped notification {k} of {d.name}: no subscriber (set e-mail, smtp.recipients or an SNS topic)"
                 for k in skipped]
        try:
            current = self._describe(d.name)
            if current is None:
                if not dry_run:
                    self.client.create_budget(AccountId=self.account_id, Budget=body,
                                              NotificationsWithSubscribers=list(wanted.values()))
                return [*notes, f"created {d.name} ({len(wanted)} notifications)"]
            changes = []
            if any(_norm(current.get(f)) != _norm(body.get(f)) for f in BODY_FIELDS):
                if not dry_run:
                    self.client.update_budget(AccountId=self.account_id, NewBudget=body)
                changes.append(f"updated {d.name}")
            existing = self._notifications(d.name)
            for key, (notification, subscribers) in existing.items():
                target = wanted.get(key)
                if target is None or sorted(map(_sub_key, subscribers)) != sorted(map(_sub_key,
                                                                                       target["Subscribers"])):
                    if not dry_run:
                        self.client.delete_notification(AccountId=self.account_id, BudgetName=d.name,
                                                        Notification=notification)
                    changes.append(f"deleted notification {key} of {d.name}")
            for key, target in wanted.items():
                current_subs = existing.get(key, (None, None))[1]
                if current_subs is None or sorted(map(_sub_key, current_subs)) != sorted(
                        map(_sub_key, target["Subscribers"])):
                    if not dry_run:
                        self.client.create_notification(AccountId=self.account_id, BudgetName=d.name,
                                                        Notification=target["Notification"],
                                                        Subscribers=target["Subscribers"])
                    changes.append(f"created notification {key} of {d.name}")
            return [*notes, *(changes or [f"unchanged {d.name}"])]
        except (ClientError, BotoCoreError) as exc:
            raise provider_error(f"AWS Budgets ({d.name})", exc) from None

    def _aws_notification(self, nws: NotificationWithSubscribers, topic: str | None) -> dict[str, Any]:
        emails = nws.emails or list(self.platform.settings.smtp.recipients)
        subs = [{"SubscriptionType": "EMAIL", "Address": e} for e in emails[:10]]
        sns = [s.Address for s in nws.Subscribers if s.SubscriptionType == "SNS"] or ([topic] if topic else [])
        subs += [{"SubscriptionType": "SNS", "Address": a} for a in sns[:1]]
        n = nws.Notification
        return {"Notification": {"NotificationType": n.NotificationType, "ComparisonOperator": n.ComparisonOperator,
                                 "Threshold": float(n.Threshold), "ThresholdType": n.ThresholdType},
                "Subscribers": subs}

    def _describe(self, name: str) -> dict[str, Any] | None:
        try:
            return self.client.describe_budget(AccountId=self.account_id, BudgetName=name)["Budget"]  # type: ignore[no-any-return]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                return None
            raise

    def _notifications(self, name: str) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
        out: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        kwargs: dict[str, Any] = {"AccountId": self.account_id, "BudgetName": name}
        while True:
            page = self.client.describe_notifications_for_budget(**kwargs)
            for raw in page.get("Notifications", []):
                notification = {k: raw[k] for k in ("NotificationType", "ComparisonOperator", "Threshold",
                                                     "ThresholdType") if k in raw}
                key = Notification.model_validate(notification).key
                subs = self.client.describe_subscribers_for_notification(
                    AccountId=self.account_id, BudgetName=name, Notification=notification).get("Subscribers", [])
                out[key] = (notification, subs)
            token = page.get("NextToken")
            if not token:
                return out
            kwargs["NextToken"] = token

    # -- pull ---------------------------------------------------------------------------------
    def pull(self, *, actor: Principal) -> list[str]:
        """Import the account's COST budgets (replacing same-named local ones)."""
        try:
            budgets: list[dict[str, Any]] = []
            kwargs: dict[str, Any] = {"AccountId": self.account_id}
            while True:
                page = self.client.describe_budgets(**kwargs)
                budgets += page.get("Budgets", [])
                token = page.get("NextToken") or page.get("nextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
            definitions = []
            skipped = []
            for raw in budgets:
                if raw.get("BudgetType") != "COST":
                    skipped.append(f"skipped {raw.get('BudgetName')} (type {raw.get('BudgetType')})")
                    continue
                notifications = [
                    NotificationWithSubscribers(Notification=Notification.model_validate(n),
                                                Subscribers=[Subscriber.model_validate(s) for s in subs])
                    for n, subs in self._notifications(raw["BudgetName"]).values()]
                definitions.append(from_aws_budget(raw, notifications, self.account_id))
        except (ClientError, BotoCoreError) as exc:
            raise provider_error("AWS Budgets", exc) from None
        results = BudgetStore(self.platform).put(definitions, actor=actor) if definitions else []
        return [*skipped, *(r.replace(":", " budget ", 1) for r in results)]


def to_aws_budget(d: BudgetDefinition) -> dict[str, Any]:
    """The ``Budget`` structure for CreateBudget / UpdateBudget."""
    b = d.Budget
    body: dict[str, Any] = {"BudgetName": b.BudgetName, "BudgetType": "COST", "TimeUnit": b.TimeUnit}
    if b.BudgetLimit is not None:
        body["BudgetLimit"] = {"Amount": b.BudgetLimit.Amount, "Unit": b.BudgetLimit.Unit}
    else:
        body["PlannedBudgetLimits"] = {_epoch(k): {"Amount": v.Amount, "Unit": v.Unit}
                                       for k, v in (b.PlannedBudgetLimits or {}).items()}
    if b.FilterExpression is not None:
        body["FilterExpression"] = b.FilterExpression.model_dump(exclude_none=True)
    if b.CostFilters:
        body["CostFilters"] = b.CostFilters
    body["CostTypes"] = {**(b.CostTypes or {}), "UseAmortized": b.metric == "EffectiveCost"}
    return body


def from_aws_budget(raw: dict[str, Any], notifications: list[NotificationWithSubscribers],
                    account_id: str) -> BudgetDefinition:
    budget = {k: raw[k] for k in ("BudgetName", "BudgetType", "TimeUnit", "BudgetLimit", "PlannedBudgetLimits",
                                  "FilterExpression", "CostFilters", "CostTypes") if raw.get(k) is not None}
    if isinstance(raw.get("Metrics"), list) and raw["Metrics"]:
        budget["Metrics"] = raw["Metrics"][:1]
    for spend in [budget.get("BudgetLimit"), *(budget.get("PlannedBudgetLimits") or {}).values()]:
        if isinstance(spend, dict):
            spend["Amount"] = str(spend.get("Amount"))
    try:
        return BudgetDefinition.model_validate({"AccountId": account_id, "Budget": budget,
                                                "NotificationsWithSubscribers": notifications})
    except ValueError as exc:
        raise ValidationError(f"AWS budget {raw.get('BudgetName')!r} cannot be imported: {exc}") from None


def _epoch(key: str) -> str:
    if key.isdigit():
        return key
    day = datetime.fromisoformat(key).replace(tzinfo=UTC)
    return str(int(day.timestamp()))


def _sub_key(sub: dict[str, Any]) -> tuple[str, str]:
    return (str(sub.get("SubscriptionType")), str(sub.get("Address")))


def _norm(value: Any) -> Any:
    """Compare AWS's echo with what we send: amounts as numbers, dict order ignored."""
    if isinstance(value, dict):
        if set(value) == {"Amount", "Unit"}:
            return (float(value["Amount"]), value["Unit"])
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value
