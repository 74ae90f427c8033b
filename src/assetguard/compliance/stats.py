"""Compliance scores per conformance pack and remediation counts, for dashboards and Prometheus.

A pack's score is the share of COMPLIANT results among its rules' COMPLIANT and NON_COMPLIANT
results (NOT_APPLICABLE and INSUFFICIENT_DATA do not count), as AWS Config's conformance-pack
compliance score does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select

from assetguard.compliance.packs import packs
from assetguard.compliance.tables import compliance_results, remediation_executions


@dataclass(frozen=True)
class PackScore:
    pack: str
    compliant: int
    non_compliant: int

    @property
    def score(self) -> float | None:
        total = self.compliant + self.non_compliant
        return self.compliant / total if total else None


@lru_cache(maxsize=1)
def _pack_rules() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Pack name → rule ids; packs are built from the static rule registry, so once is enough."""
    return tuple((name, pack.rule_ids) for name, pack in sorted(packs().items()) if name != "all")


def pack_scores(platform: Any) -> list[PackScore]:
    c = compliance_results.c
    stmt = select(c.rule_id, c.compliance_type, func.count()).group_by(c.rule_id, c.compliance_type)
    per_rule: dict[str, dict[str, int]] = {}
    with platform.db.connect() as conn:
        for rule, kind, n in conn.execute(stmt):
            per_rule.setdefault(rule, {})[kind] = int(n)
    out = []
    for name, rule_ids in _pack_rules():
        ok = sum(per_rule.get(r, {}).get("COMPLIANT", 0) for r in rule_ids)
        bad = sum(per_rule.get(r, {}).get("NON_COMPLIANT", 0) for r in rule_ids)
        out.append(PackScore(name, ok, bad))
    return out


def remediation_counts(platform: Any) -> list[tuple[str, str, int]]:
    """(runbook, status, executions), for "remediations run and their results"."""
    c = remediation_executions.c
    stmt = select(c.runbook, c.status, func.count()).group_by(c.runbook, c.status).order_by(c.runbook, c.status)
    with platform.db.connect() as conn:
        return [(r, s, int(n)) for r, s, n in conn.execute(stmt)]
