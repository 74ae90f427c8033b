"""The target plugin interface and the ``targets`` registry.

A target is modelled on an httpx transport: one small class per kind of destination whose
``deliver(delivery)`` either returns (delivered) or raises :class:`DeliveryError` (failed; the
worker retries it with backoff when ``retryable`` is true, otherwise it goes to the DLQ)::

    from pydantic import BaseModel
    from assetguard.targets.base import Delivery, DeliveryError, Target, TargetConfig, targets

    @targets.register("findings-notified")
    class FindingsNotified(Target):
        '''Marks the finding carried by the event as NOTIFIED.

        Example target in a rule::

            - id: mark-notified
              type: findings-notified
        '''

        type = "findings-notified"

        class Config(TargetConfig):
            note: str = "notified by assetguard"

        def deliver(self, delivery: Delivery) -> str | None:
            finding = delivery.event["detail"]["findings"][0]
            ...                                  # call the findings hub with self.platform
            return f"marked {finding['Id']}"     # a short receipt stored on the delivery record

Contract:

* ``type`` is the name rules use (``targets[].type``); ``Config`` is a pydantic model validated
  when a rule is saved (if the type is registered) and again when the target is built.
* ``__init__(config, platform)`` must be cheap and must not do network I/O; the worker builds
  one instance per (rule, target) and reuses it; ``close()`` releases clients.
* ``deliver`` is called from a worker thread, at least once per (event, rule, target); it must
  be idempotent or tolerate duplicates (use ``delivery.delivery_id`` as an idempotency key).
* Raise ``DeliveryError(msg, code=..., retryable=..., retry_after=...)``; any other exception
  is recorded as code ``TargetException`` and retried.
* ``rate_per_second`` (class or instance attribute; ``None`` = unlimited) throttles deliveries per
  ``rate_key()`` (e.g. one Slack webhook).
* Never put secrets (passwords, tokens, webhook URLs) into messages, receipts or logs.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from assetguard.core.errors import DeliveryError, PluginError, ValidationError
from assetguard.core.registry import Registry

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

__all__ = ["Delivery", "DeliveryError", "Target", "TargetConfig", "build_target", "mask_config", "public_target",
           "restore_target_config", "secret_fields", "target_secrets", "targets", "validate_target_config"]


class TargetConfig(BaseModel):
    """Base of every target's ``Config``: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Delivery:
    """One attempt to hand one event to one target of one rule.

    ``payload`` is what the rule's ``input`` / ``input_path`` / ``input_transformer`` produced
    (the whole event by default); ``event`` is always the original envelope.
    """

    event: Mapping[str, Any]
    payload: Any
    rule: str
    target_id: str
    attempt: int = 1
    delivery_id: str = ""
    rule_description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


class Target:
    """Base class of target plugins (see the module docstring for the contract)."""

    type: ClassVar[str] = ""
    Config: ClassVar[builtins.type[TargetConfig]] = TargetConfig
    rate_per_second: float | None = None

    def __init__(self, config: TargetConfig, platform: Platform) -> None:
        self.config = config
        self.platform = platform

    def deliver(self, delivery: Delivery) -> str | None:
        raise NotImplementedError

    def rate_key(self) -> str:
        """Deliveries sharing this key share one rate limit (default: the target type)."""
        return self.type

    def close(self) -> None:
        """Release clients and connections."""
        client = self.__dict__.pop("_http_client", None)
        if client is not None:
            client.close()

    def http_client(self) -> Any:
        """A keep-alive ``HttpClient`` shared by this target's deliveries (thread-safe)."""
        client = self.__dict__.get("_http_client")
        if client is None:
            from assetguard.targets.http import HttpClient
            from assetguard.targets.outbound import OutboundGuard, guard_for

            provider = None
            settings = getattr(self.platform, "settings", None)
            if settings is not None and settings.telemetry.enabled:
                from assetguard.telemetry.setup import telemetry_for

                # Outbound calls become child spans of the "deliver <type>" span (nothing is
                # recorded outside a trace).
                provider = telemetry_for(self.platform).child_only_provider("assetguard-worker")
            guard = guard_for(settings) if settings is not None else OutboundGuard()
            client = self.__dict__.setdefault("_http_client", HttpClient(provider, guard=guard))
        return client


targets: Registry[type[Target]] = Registry("target")


def validate_target_config(type_name: str, config: Mapping[str, Any] | None, *, where: str = "") -> None:
    """Validate ``config`` against the registered type's ``Config``; unknown types pass.

    A rule may name a target type whose plugin is not installed; saving it must still work
    (its deliveries fail into the DLQ with code ``UnknownTarget``).
    """
    if type_name not in targets:
        return
    cls = targets.get(type_name)
    try:
        cls.Config.model_validate(dict(config or {}))
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())) or '(config)'}: "
            f"{'unknown key' if e.get('type') == 'extra_forbidden' else e.get('msg', 'invalid')}"
            for e in exc.errors())
        raise ValidationError(f"invalid config for target type {type_name!r}: {problems}",
                              where=where or None) from None


def secret_fields(type_name: str) -> frozenset[str]:
    """Config keys of a registered target type that hold secrets (``SecretStr`` fields)."""
    if type_name not in targets:
        return frozenset()
    cls = targets.get(type_name)
    return frozenset(name for name, info in cls.Config.model_fields.items() if "SecretStr" in str(info.annotation))


def mask_config(type_name: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``config`` safe to show or audit: the type's secret fields (and secret-looking keys
    and values) become ``***`` (:func:`assetguard.core.redact.redact`)."""
    from assetguard.core.redact import redact

    masked = redact(dict(config or {}), secret_fields(type_name))
    assert isinstance(masked, dict)
    return masked


def public_target(target: Mapping[str, Any]) -> dict[str, Any]:
    """A rule target (``{"id", "type", "config", ...}``) as shown anywhere: config masked, and any
    other field too (an ``input`` constant may quote a secret)."""
    from assetguard.core.redact import redact

    type_name = str(target.get("type", ""))
    shown = redact({k: v for k, v in target.items() if k != "config"})
    assert isinstance(shown, dict)
    if "config" in target:
        shown["config"] = mask_config(type_name, target.get("config"))
    return shown


def restore_target_config(config: Any, stored: Mapping[str, Any] | None, *, where: str) -> Any:
    """A submitted target config whose masked secrets (``***``) keep the ``stored`` config's values;
    a mask with nothing stored behind it is a ValidationError naming ``where``."""
    from assetguard.core.redact import restore_masked

    return restore_masked(config, dict(stored) if stored is not None else None, where)


def target_secrets(type_name: str, config: Mapping[str, Any] | None) -> list[str]:
    """The plain secrets in a target config, to scrub from messages a delivery records."""
    from assetguard.core.redact import secret_values

    return secret_values(dict(config or {}), secret_fields(type_name))


def build_target(type_name: str, config: Mapping[str, Any] | None, platform: Platform) -> Target:
    """Instantiate a target; unknown types raise ``DeliveryError(code="UnknownTarget")``."""
    try:
        cls = targets.get(type_name)
    except PluginError as exc:
        raise DeliveryError(str(exc), code="UnknownTarget", retryable=False) from None
    try:
        parsed = cls.Config.model_validate(dict(config or {}))
    except PydanticValidationError as exc:
        raise DeliveryError(f"invalid config for target type {type_name!r}: {exc.error_count()} error(s)",
                            code="InvalidTargetConfig", retryable=False) from None
    return cls(parsed, platform)
