"""The rule model: an EventBridge pattern routed to at most five targets.

A rule as YAML (``assetguard rules put rule.yaml``, or a file in ``events/defaults/``)::

    name: security-alerts
    description: New HIGH or CRITICAL findings to people
    state: ENABLED
    pattern:
      source: [assetguard.findings]
      detail-type: [Findings - Imported]
    targets:
      - id: slack
        type: slack
        condition: slack-configured          # skip unless settings.slack is set
        input_transformer:
          input_paths_map: {title: $.detail.findings[0].Title}
          input_template: '"New finding: <title>"'
        retry_policy: {maximum_event_age_seconds: 3600, maximum_retry_attempts: 10}

Each target takes at most one of ``input`` (a constant JSON value), ``input_path`` (a JSONPath
into the event) or ``input_transformer``; with none the whole event is delivered. AWS's
PascalCase spellings (``InputPath``, ``InputTransformer.InputPathsMap`` ...) are accepted too.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_RE = re.compile(r"^[\.\-_A-Za-z0-9]+$")

Condition = Literal["always", "smtp-configured", "slack-configured", "no-notifier-configured"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RetryPolicy(_Model):
    """EventBridge's RetryPolicy: give up after this age or this many retries (whichever first)."""

    maximum_event_age_seconds: int = Field(86400, ge=60, le=86400,
                                           validation_alias=AliasChoices("maximum_event_age_seconds",
                                                                         "MaximumEventAgeInSeconds"))
    maximum_retry_attempts: int = Field(185, ge=0, le=185,
                                        validation_alias=AliasChoices("maximum_retry_attempts",
                                                                      "MaximumRetryAttempts"))


class InputTransformer(_Model):
    input_paths_map: dict[str, str] = Field(default_factory=dict, max_length=100,
                                            validation_alias=AliasChoices("input_paths_map", "InputPathsMap"))
    input_template: str = Field(..., max_length=8192,
                                validation_alias=AliasChoices("input_template", "InputTemplate"))

    @field_validator("input_paths_map")
    @classmethod
    def _check_paths(cls, value: dict[str, str]) -> dict[str, str]:
        from assetguard.events.transform import check_paths_map

        check_paths_map(value)
        return value


class Digest(_Model):
    """Batch bursts: deliveries within ``window_seconds`` go out as one message (up to ``max_events``)."""

    window_seconds: float = Field(10.0, gt=0, le=3600)
    max_events: int = Field(50, ge=2, le=1000)


class RuleTarget(_Model):
    id: str = Field(..., min_length=1, max_length=64, validation_alias=AliasChoices("id", "Id"))
    type: str = Field(..., min_length=1, max_length=64, validation_alias=AliasChoices("type", "Type"))
    config: dict[str, Any] = Field(default_factory=dict)
    condition: Condition = "always"
    input: Any = Field(None, validation_alias=AliasChoices("input", "Input"))
    input_path: str | None = Field(None, max_length=256, validation_alias=AliasChoices("input_path", "InputPath"))
    input_transformer: InputTransformer | None = Field(
        None, validation_alias=AliasChoices("input_transformer", "InputTransformer"))
    retry_policy: RetryPolicy = Field(default_factory=RetryPolicy,
                                      validation_alias=AliasChoices("retry_policy", "RetryPolicy"))
    rate_per_second: float | None = Field(None, gt=0, le=10000)
    digest: Digest | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("target id may contain only letters, digits, '.', '-' and '_'")
        return value

    @field_validator("input_path")
    @classmethod
    def _check_input_path(cls, value: str | None) -> str | None:
        if value is not None:
            from assetguard.events.transform import parse_json_path

            parse_json_path(value)
        return value

    @model_validator(mode="after")
    def _one_input(self) -> RuleTarget:
        given = [n for n, v in (("input", self.input), ("input_path", self.input_path),
                                ("input_transformer", self.input_transformer)) if v is not None]
        if len(given) > 1:
            raise ValueError(f"a target takes at most one of input, input_path, input_transformer; got {given}")
        return self


class Rule(_Model):
    name: str = Field(..., min_length=1, max_length=64, validation_alias=AliasChoices("name", "Name"))
    description: str = Field("", max_length=512, validation_alias=AliasChoices("description", "Description"))
    state: Literal["ENABLED", "DISABLED"] = Field("ENABLED", validation_alias=AliasChoices("state", "State"))
    pattern: dict[str, Any] = Field(..., validation_alias=AliasChoices("pattern", "EventPattern"))
    targets: list[RuleTarget] = Field(default_factory=list, max_length=5,
                                      validation_alias=AliasChoices("targets", "Targets"))

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("rule name may contain only letters, digits, '.', '-' and '_'")
        return value

    @field_validator("pattern")
    @classmethod
    def _check_pattern(cls, value: dict[str, Any]) -> dict[str, Any]:
        from assetguard.core.errors import ValidationError
        from assetguard.events.pattern import compile_pattern

        try:
            compile_pattern(value)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _unique_target_ids(self) -> Rule:
        ids = [t.id for t in self.targets]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"target ids must be unique within a rule; repeated: {dupes}")
        return self

    def document(self) -> dict[str, Any]:
        """The canonical JSON form stored in the database and shown by the API."""
        return self.model_dump(mode="json", exclude_none=True)
