"""Helpers shared by the managed-group rule tests: one group compiled alone, a rule's label, and
requests with a browser's headers and a query, form, JSON or XML payload."""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import quote

from assetguard.waf.engine import CompiledACL, compile_acl
from assetguard.waf.managed.loader import load_managed_group
from assetguard.waf.request import HttpRequest

HOST = ["Host", "app.example.com"]
UA = ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"]
VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "t"}


def vendor_of(group: str) -> str:
    return "AssetGuard" if group.startswith("AssetGuard") else "AWS"


@cache
def only(group: str, counting: bool = False) -> CompiledACL:
    """The group alone; ``counting`` turns every rule into Count, so the verdict's labels name
    every rule that matched (not only the first)."""
    vendor = vendor_of(group)
    statement: dict[str, Any] = {"VendorName": vendor, "Name": group}
    if counting:
        statement["RuleActionOverrides"] = [
            {"Name": r["Name"], "ActionToUse": {"Count": {}}} for r in load_managed_group(vendor, group)["Rules"]
        ]
    rule = {
        "Name": group,
        "Priority": 0,
        "Statement": {"ManagedRuleGroupStatement": statement},
        "OverrideAction": {"None": {}},
        "VisibilityConfig": VIS,
    }
    return compile_acl({"Name": "t", "DefaultAction": {"Allow": {}}, "VisibilityConfig": VIS, "Rules": [rule]})


def label_of(group: str, rule: str) -> str:
    doc = load_managed_group(vendor_of(group), group)
    names = {str(r["Name"]): str(r["RuleLabels"][0]["Name"]) for r in doc["Rules"]}
    assert rule in names, f"{group} has no rule {rule}"
    return str(doc["LabelNamespace"]) + names[rule]


def req(
    uri: str = "/content",
    *,
    form: str | None = None,
    doc: Any = None,
    xml: str | None = None,
    headers: list[list[str]] | None = None,
) -> HttpRequest:
    rec: dict[str, Any] = {"method": "GET", "uri": uri, "headers": [HOST, UA, *(headers or [])]}
    for body, ctype in ((form, "application/x-www-form-urlencoded"), (xml, "application/xml")):
        if body is not None:
            rec.update(method="POST", body=body)
            rec["headers"].append(["Content-Type", ctype])
    if doc is not None:
        rec.update(method="POST", body=json.dumps(doc))
        rec["headers"].append(["Content-Type", "application/json"])
    return HttpRequest.from_jsonl_record(rec)


def q(value: str, name: str = "q") -> str:
    return f"/content?{name}={quote(value, safe='')}"
