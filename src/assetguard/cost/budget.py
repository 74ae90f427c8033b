"""Budget definitions in the shape of AWS Budgets' ``CreateBudget`` input (YAML or AWS JSON).

Example (YAML; the same keys in JSON are what ``aws budgets create-budget`` takes)::

    Budget:
      BudgetName: team-web
      BudgetType: COST
      TimeUnit: MONTHLY
      BudgetLimit: {Amount: "500", Unit: USD}
      Metrics: [EffectiveCost]          # BilledCost (cash, default) or EffectiveCost (amortised)
      FilterExpression:
        And:
          - Dimensions: {Key: SERVICE, Values: [Amazon Elastic Compute Cloud]}
          - Tags: {Key: team, Values: [web]}
    NotificationsWithSubscribers:
      - Notification: {NotificationType: ACTUAL, ComparisonOperator: GREATER_THAN, Threshold: 85,
                       ThresholdType: PERCENTAGE}
        Subscribers: [{SubscriptionType: EMAIL, Address: web-team@example.com}]
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from assetguard.core.errors import ValidationError
from assetguard.core.textfile import read_text
from assetguard.core.yamlfile import SourceMap, parse_yaml, pydantic_errors

TimeUnit = Literal["DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY"]
Metric = Literal["BilledCost", "EffectiveCost"]

# AWS metric names accepted on input and what they mean here.
METRIC_ALIASES: dict[str, Metric] = {
    "BilledCost": "BilledCost", "EffectiveCost": "EffectiveCost", "UnblendedCost": "BilledCost",
    "NetUnblendedCost": "BilledCost", "BlendedCost": "BilledCost", "AmortizedCost": "EffectiveCost",
    "NetAmortizedCost": "EffectiveCost",
}


class _AwsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# The largest amount a budget may hold: the ceiling AWS Budgets puts on an absolute threshold (1.5e13).
MAX_AMOUNT = Decimal(15_000_000_000_000)


class Spend(_AwsModel):
    Amount: str
    Unit: str = "USD"

    @field_validator("Amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> str:
        """A finite decimal in [0, MAX_AMOUNT], kept in plain notation (``1e3`` is stored as ``1000``)."""
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise ValueError("Amount must be a decimal number such as \"500\" or \"99.50\"")
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValueError("Amount must be a decimal number such as \"500\" or \"99.50\"") from None
        if not amount.is_finite():
            raise ValueError("Amount must be a finite number (not NaN or Infinity)")
        if amount < 0:
            raise ValueError("Amount must not be negative")
        if amount > MAX_AMOUNT:
            raise ValueError(f"Amount must be at most {MAX_AMOUNT:,}")
        if isinstance(value, float):  # a JSON number: binary, so kept to the 10 places a text amount may have
            amount = amount.quantize(Decimal("1e-10")).normalize()
        elif amount != amount.quantize(Decimal("1e-10"), rounding="ROUND_DOWN"):
            raise ValueError("Amount has more than 10 decimal places")
        return format(amount, "f") if isinstance(value, float) or "e" in str(value).lower() else str(value).strip()

    @property
    def amount(self) -> float:
        return float(Decimal(self.Amount))


class Notification(_AwsModel):
    NotificationType: Literal["ACTUAL", "FORECASTED"]
    ComparisonOperator: Literal["GREATER_THAN", "LESS_THAN", "EQUAL_TO"]
    Threshold: float = Field(ge=0, le=15_000_000_000_000, strict=True)  # a number, as the schema says
    ThresholdType: Literal["PERCENTAGE", "ABSOLUTE_VALUE"] = "PERCENTAGE"
    NotificationState: Literal["OK", "ALARM"] | None = None

    @property
    def key(self) -> str:
        """Stable identity of a notification within its budget (AWS identifies them by these fields)."""
        return f"{self.NotificationType}:{self.ComparisonOperator}:{self.Threshold:g}:{self.ThresholdType}"

    def contract(self) -> dict[str, Any]:
        return {"type": self.NotificationType, "operator": self.ComparisonOperator,
                "threshold": float(self.Threshold), "thresholdType": self.ThresholdType}


class Subscriber(_AwsModel):
    SubscriptionType: Literal["EMAIL", "SNS"]
    Address: str = Field(min_length=1, max_length=2147483647)

    @model_validator(mode="after")
    def _address(self) -> Subscriber:
        if self.SubscriptionType == "EMAIL" and "@" not in self.Address:
            raise ValueError(f"EMAIL subscriber {self.Address!r} is not an e-mail address")
        if self.SubscriptionType == "SNS" and not self.Address.startswith("arn:"):
            raise ValueError(f"SNS subscriber {self.Address!r} is not a topic ARN")
        return self


class NotificationWithSubscribers(_AwsModel):
    Notification: Notification
    Subscribers: list[Subscriber] = Field(default_factory=list)

    @field_validator("Subscribers")
    @classmethod
    def _limits(cls, subs: list[Subscriber]) -> list[Subscriber]:
        # AWS: one SNS topic and up to 10 e-mail addresses per notification.
        if sum(s.SubscriptionType == "EMAIL" for s in subs) > 10:
            raise ValueError("at most 10 EMAIL subscribers per notification")
        if sum(s.SubscriptionType == "SNS" for s in subs) > 1:
            raise ValueError("at most 1 SNS subscriber per notification")
        return subs

    @property
    def emails(self) -> list[str]:
        return [s.Address for s in self.Subscribers if s.SubscriptionType == "EMAIL"]


class DimensionValues(_AwsModel):
    Key: str
    Values: list[str] = Field(default_factory=list)
    MatchOptions: list[str] | None = None


class TagValues(_AwsModel):
    Key: str | None = None
    Values: list[str] = Field(default_factory=list)
    MatchOptions: list[str] | None = None


class Expression(_AwsModel):
    """Cost Explorer ``Expression``: exactly one of And, Or, Not, Dimensions, Tags, CostCategories."""

    And: list[Expression] | None = None
    Or: list[Expression] | None = None
    Not: Expression | None = None
    Dimensions: DimensionValues | None = None
    Tags: TagValues | None = None
    CostCategories: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one(self) -> Expression:
        set_fields = [k for k in ("And", "Or", "Not", "Dimensions", "Tags", "CostCategories")
                      if getattr(self, k) is not None]
        if len(set_fields) != 1:
            raise ValueError("an expression needs exactly one of And, Or, Not, Dimensions, Tags "
                             f"(got {', '.join(set_fields) or 'none'})")
        if self.CostCategories is not None:
            raise ValueError("CostCategories filters are not supported; use Dimensions or Tags")
        return self


class Budget(_AwsModel):
    BudgetName: str = Field(min_length=1, max_length=100, pattern=r"^[^:\\]+$")
    BudgetType: Literal["COST"] = "COST"
    TimeUnit: TimeUnit = "MONTHLY"
    BudgetLimit: Spend | None = None
    PlannedBudgetLimits: dict[str, Spend] | None = None
    FilterExpression: Expression | None = None
    CostFilters: dict[str, list[str]] | None = None
    Metrics: list[str] | None = None
    CostTypes: dict[str, Any] | None = None
    TimePeriod: dict[str, Any] | None = None
    # Fields AWS returns from DescribeBudget(s); accepted so a pulled budget can be put back.
    CalculatedSpend: dict[str, Any] | None = None
    LastUpdatedTime: Any = None
    AutoAdjustData: dict[str, Any] | None = None
    BillingViewArn: str | None = None
    HealthStatus: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _limits(self) -> Budget:
        if (self.BudgetLimit is None) == (self.PlannedBudgetLimits is None):
            raise ValueError("give exactly one of BudgetLimit and PlannedBudgetLimits")
        if self.PlannedBudgetLimits is not None:
            if not self.PlannedBudgetLimits:
                raise ValueError("PlannedBudgetLimits needs at least one period")
            for key in self.PlannedBudgetLimits:
                _period_key(key)
        for name in self.Metrics or []:
            if name not in METRIC_ALIASES:
                raise ValueError(f"unknown metric {name!r}; use BilledCost or EffectiveCost")
        if self.Metrics is not None and len(self.Metrics) > 1:
            raise ValueError("a budget tracks one metric")
        return self

    @property
    def metric(self) -> Metric:
        if self.Metrics:
            return METRIC_ALIASES[self.Metrics[0]]
        if self.CostTypes and self.CostTypes.get("UseAmortized"):
            return "EffectiveCost"
        return "BilledCost"

    @property
    def unit(self) -> str:
        if self.BudgetLimit is not None:
            return self.BudgetLimit.Unit
        return next(iter((self.PlannedBudgetLimits or {}).values())).Unit

    def limit_for(self, period_start: date) -> float | None:
        """The budgeted amount for the period starting ``period_start`` (None: no planned limit)."""
        if self.BudgetLimit is not None:
            return self.BudgetLimit.amount
        for key, spend in (self.PlannedBudgetLimits or {}).items():
            if _period_key(key) == period_start:
                return spend.amount
        return None


def _period_key(key: str) -> date:
    """PlannedBudgetLimits keys: epoch seconds (as AWS sends them) or ``YYYY-MM-DD``."""
    try:
        if key.isdigit():
            return datetime.fromtimestamp(int(key), UTC).date()
        return date.fromisoformat(key)
    except (ValueError, OverflowError):
        raise ValueError(f"PlannedBudgetLimits key {key!r} is neither epoch seconds nor YYYY-MM-DD") from None


class BudgetDefinition(_AwsModel):
    """One ``CreateBudget`` request body."""

    AccountId: str | None = None
    Budget: Budget
    NotificationsWithSubscribers: list[NotificationWithSubscribers] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _unique(self) -> BudgetDefinition:
        keys = [n.Notification.key for n in self.NotificationsWithSubscribers]
        if len(keys) != len(set(keys)):
            raise ValueError("two notifications have the same type, operator, threshold and threshold type")
        if self.Budget.TimeUnit == "DAILY" and any(n.Notification.NotificationType == "FORECASTED"
                                                   for n in self.NotificationsWithSubscribers):
            raise ValueError("DAILY budgets have no forecast, so FORECASTED notifications are not allowed")
        return self

    @property
    def name(self) -> str:
        return self.Budget.BudgetName

    def stored(self) -> dict[str, Any]:
        """The JSON kept in the database and returned by the API (AWS field names)."""
        stored: dict[str, Any] = json.loads(self.model_dump_json(exclude_none=True, exclude={"Budget": {
            "CalculatedSpend", "LastUpdatedTime", "HealthStatus"}}))
        return stored


def parse_definitions(text: str, filename: str) -> list[BudgetDefinition]:
    """Parse a YAML/JSON file holding one definition, a list of them, or ``{"Budgets": [...]}``.

    Errors name the file, line and key: ``budgets.yaml:7 (Budget.TimeUnit): Input should be ...``.
    """
    data, where = parse_yaml(text, filename)
    return definitions_from(data, where)


def definitions_from_json(data: Any, where: str) -> list[BudgetDefinition]:
    """:func:`parse_definitions` for a body already parsed as JSON (no YAML pass: YAML would read a
    JSON ``\\ud83d\\ude00`` escape pair as two lone surrogates); errors name JSON paths under ``where``."""
    return definitions_from(data, SourceMap(where, {}))


def definitions_from(data: Any, where: SourceMap) -> list[BudgetDefinition]:
    """The definitions in parsed ``data`` (one, a list, or ``{"Budgets": [...]}``)."""
    filename = where.filename
    prefix: tuple[str | int, ...] | None
    if isinstance(data, dict) and "Budgets" in data and "Budget" not in data:
        extra = sorted(str(k) for k in data if k != "Budgets")
        if extra:
            raise ValidationError(f"unknown key {extra[0]!r} next to Budgets", where=where.describe((extra[0],)))
        items, prefix = data["Budgets"], ("Budgets",)
    elif isinstance(data, list):
        items, prefix = data, ()
    else:
        items, prefix = [data], None
    if not isinstance(items, list) or not items:
        raise ValidationError("expected a budget definition (with a Budget key) or a list of them", where=filename)
    out: list[BudgetDefinition] = []
    for index, item in enumerate(items):
        path: tuple[str | int, ...] = () if prefix is None else (*prefix, index)
        out.append(_one(item, where, path))
    names = [d.name for d in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValidationError(f"budget name(s) defined twice: {', '.join(dupes)}", where=filename)
    return out


def _one(item: Any, where: SourceMap, path: tuple[str | int, ...]) -> BudgetDefinition:
    if not isinstance(item, dict):
        raise ValidationError("expected a mapping with a Budget key", where=where.describe(path))
    try:
        return BudgetDefinition.model_validate(item)
    except PydanticValidationError as exc:
        shifted = _Shifted(exc, path)
        raise ValidationError(pydantic_errors(shifted, where)) from None


class _Shifted:
    """A pydantic error list with every location prefixed by ``path`` (for list items)."""

    def __init__(self, exc: PydanticValidationError, path: tuple[str | int, ...]) -> None:
        self.exc = exc
        self.path = path

    def errors(self) -> list[dict[str, Any]]:
        return [{**e, "loc": (*self.path, *e.get("loc", ()))} for e in self.exc.errors()]


def load_definitions(path: Path) -> list[BudgetDefinition]:
    return parse_definitions(read_text(path, "budgets file"), str(path))
