"""Conformance packs: named sets of rules with parameter overrides.

* ``baseline`` (the default): the plan's configuration (CCE) checks — the AWS rules the plan names
  plus the first KISA host checks;
* ``cis-aws-foundations``: every AWS rule mapped to a CIS AWS Foundations Benchmark control;
* ``kisa-unix``: every Linux host rule (KISA Unix guide);
* ``all``: every registered rule.

>>> sorted(get_pack("kisa-unix").rule_ids)[:1]
['linux-account-lockout-threshold']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assetguard.compliance.rule import load_all_rules
from assetguard.core.errors import ValidationError

BASELINE_AWS = (
    "restricted-ssh", "restricted-common-ports", "vpc-default-security-group-closed", "vpc-flow-logs-enabled",
    "s3-bucket-public-read-prohibited", "s3-bucket-public-write-prohibited", "s3-bucket-server-side-encryption-enabled",
    "s3-account-level-public-access-blocks", "iam-password-policy", "root-account-mfa-enabled",
    "iam-root-access-key-check", "iam-user-mfa-enabled", "access-keys-rotated", "cloudtrail-enabled",
    "cloud-trail-log-file-validation-enabled", "encrypted-volumes", "ec2-ebs-encryption-by-default",
    "rds-storage-encrypted", "rds-instance-public-access-check", "cmk-backing-key-rotation-enabled",
    "ecs-task-definition-nonroot-user", "ecs-containers-readonly-access", "ecs-containers-nonprivileged",
    "alb-http-to-https-redirection-check", "alb-waf-enabled", "lambda-function-public-access-prohibited",
    "required-tags",
)
BASELINE_LINUX = (
    "linux-ssh-root-login-disabled", "linux-password-complexity", "linux-account-lockout-threshold",
    "linux-shadow-passwords", "linux-root-path", "linux-empty-passwords", "linux-uid-zero-only-root",
    "linux-passwd-file-permissions", "linux-shadow-file-permissions",
)


@dataclass(frozen=True)
class ConformancePack:
    name: str
    description: str
    rule_ids: tuple[str, ...]
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)


def packs() -> dict[str, ConformancePack]:
    registry = load_all_rules()
    all_rules = [r for _, r in registry.items()]
    return {
        "baseline": ConformancePack("baseline", "The plan's configuration checks (default)",
                                    BASELINE_AWS + BASELINE_LINUX),
        "cis-aws-foundations": ConformancePack(
            "cis-aws-foundations", "AWS rules mapped to the CIS AWS Foundations Benchmark",
            tuple(r.id for r in all_rules if r.meta.cis and r.meta.provider == "aws")),
        "kisa-unix": ConformancePack("kisa-unix", "Linux host checks after the KISA Unix server guide",
                                     tuple(r.id for r in all_rules if r.meta.provider == "linux")),
        "all": ConformancePack("all", "Every registered rule", tuple(r.id for r in all_rules)),
    }


def get_pack(name: str) -> ConformancePack:
    available = packs()
    if name not in available:
        raise ValidationError(f"unknown conformance pack {name!r}; valid packs: {', '.join(sorted(available))}",
                              where="--pack")
    return available[name]
