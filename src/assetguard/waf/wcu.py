"""Web ACL capacity units (WCU): per-rule and total, with AWS's thresholds.

Costs come from the compiled statements (see :mod:`assetguard.waf.statements`); rule groups
count their fixed ``Capacity`` (plus any scope-down statement). AWS includes 1,500 WCU in the
base price and refuses ACLs above 5,000.

Example::

    report = capacity_report(load_compiled_acl("baseline"))
    report.total     # 1381
    report.rules     # [("AWS-AWSManagedRulesAmazonIpReputationList", 25), ...]
"""

from __future__ import annotations

from dataclasses import dataclass

from assetguard.waf.engine import CompiledACL

BASE_PRICE_WCU = 1500
MAX_WCU = 5000


@dataclass(frozen=True)
class CapacityReport:
    acl: str
    rules: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(wcu for _, wcu in self.rules)

    @property
    def above_base_price(self) -> bool:
        return self.total > BASE_PRICE_WCU

    @property
    def above_maximum(self) -> bool:
        return self.total > MAX_WCU


def capacity_report(acl: CompiledACL) -> CapacityReport:
    return CapacityReport(acl.name, [(rule.name, rule.wcu) for rule in acl.rules])
