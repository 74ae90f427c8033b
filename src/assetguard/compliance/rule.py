"""The compliance rule plugin: validated metadata beside a small check function.

A rule is a function ``check(item, ctx, params) -> Result`` registered with its metadata::

    @compliance_rule(
        id="restricted-ssh", title="Security groups do not allow SSH from anywhere",
        severity="HIGH", resource_types=("AWS::EC2::SecurityGroup",), trigger="both",
        cis=("5.2",), risk="...", remediation="...", runbook="revoke-open-ingress",
    )
    def restricted_ssh(item, ctx, params):
        ...
        return Result.non_compliant("port 22 open to 0.0.0.0/0")

``id`` is AWS Config's managed-rule identifier in lower kebab case (``restricted-ssh``) for AWS
rules, and ``linux-...`` for host rules. ``params`` is an instance of the rule's ``Params`` model
(defaults match AWS Config's defaults), overridable per pack or on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assetguard.core.registry import Registry

if TYPE_CHECKING:
    from assetguard.compliance.context import EvaluationContext

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
COMPLIANCE_TYPES = (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, INSUFFICIENT_DATA)
SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")


@dataclass(frozen=True, slots=True)
class Result:
    """One evaluation outcome: ``compliance_type`` and a human ``annotation`` (≤ 256 chars)."""

    compliance_type: str
    annotation: str = ""

    @classmethod
    def compliant(cls, annotation: str = "") -> Result:
        return cls(COMPLIANT, annotation)

    @classmethod
    def non_compliant(cls, annotation: str) -> Result:
        return cls(NON_COMPLIANT, annotation[:256])

    @classmethod
    def not_applicable(cls, annotation: str = "") -> Result:
        return cls(NOT_APPLICABLE, annotation[:256])

    @classmethod
    def insufficient(cls, annotation: str) -> Result:
        return cls(INSUFFICIENT_DATA, annotation[:256])


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleMeta(BaseModel):
    """Validated rule metadata (Prowler-style check metadata)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,127}$")
    title: str = Field(min_length=5, max_length=256)
    severity: Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
    resource_types: tuple[str, ...] = Field(min_length=1)
    trigger: Literal["on-change", "periodic", "both"]
    cis: tuple[str, ...] = ()
    kisa: tuple[str, ...] = ()
    cce: tuple[str, ...] = ()
    risk: str = Field(min_length=10)
    remediation: str = Field(min_length=10)
    runbook: str | None = None
    provider: Literal["aws", "linux"] = "aws"

    @field_validator("resource_types")
    @classmethod
    def _types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for t in value:
            if not re.fullmatch(r"[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+(::[A-Za-z0-9]+)?", t):
                raise ValueError(f"resource type {t!r} is not of the form Vendor::Service::Type")
        return value

    @field_validator("kisa")
    @classmethod
    def _kisa(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for k in value:
            if not re.fullmatch(r"U-\d{2}", k):
                raise ValueError(f"KISA id {k!r} must look like U-01")
        return value

    @field_validator("cce")
    @classmethod
    def _cce(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for c in value:
            if not re.fullmatch(r"CCE-\d{4,5}-\d", c):
                raise ValueError(f"CCE id {c!r} must look like CCE-80644-8")
        return value


CheckFunc = Callable[[dict[str, Any], "EvaluationContext", Any], Result]


@dataclass(frozen=True)
class ComplianceRule:
    meta: RuleMeta
    check: CheckFunc
    params: type[BaseModel]
    doc: str

    @property
    def id(self) -> str:
        return self.meta.id

    def evaluate(self, item: dict[str, Any], ctx: EvaluationContext, params: Any | None = None) -> Result:
        return self.check(item, ctx, params if params is not None else self.params())


rules: Registry[ComplianceRule] = Registry("compliance.rule")


def compliance_rule(*, params: type[BaseModel] = NoParams, **meta: Any) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated check with validated metadata (``RuleMeta`` fields as keywords)."""
    parsed = RuleMeta(**meta)

    def decorate(func: CheckFunc) -> CheckFunc:
        rules.add(parsed.id, ComplianceRule(parsed, func, params, (func.__doc__ or "").strip()))
        return func

    return decorate


def load_all_rules() -> Registry[ComplianceRule]:
    """Import every rule module (idempotent) and return the registry."""
    import importlib
    import pkgutil

    from assetguard.compliance import rules as rules_pkg

    for sub in ("aws", "linux"):
        pkg = importlib.import_module(f"{rules_pkg.__name__}.{sub}")
        for info in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    return rules
