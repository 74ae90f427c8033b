"""Security dashboard: findings by severity over time, open findings by rule and asset, compliance
score per pack, WAF decisions per rule, top blocked clients and attack categories, remediations,
and the mean time from a finding to its notification."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from assetguard.compliance import stats as compliance_stats
from assetguard.console.charts import Series, bar_chart, stacked_bar_chart
from assetguard.console.page import ConsoleViewerDep, NavItem, PlatformDep, render
from assetguard.core.clock import utcnow
from assetguard.findings import stats as finding_stats

router = APIRouter()
NAV = NavItem("Security", "/security")

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
SEVERITY_COLOURS = {"CRITICAL": "#8b0000", "HIGH": "#d55e00", "MEDIUM": "#e69f00", "LOW": "#56b4e9",
                    "INFORMATIONAL": "#6b6b6b"}
DAYS = 14
# Rule-name prefixes of the managed groups → the attack category a person reads.
CATEGORIES = (
    ("SQLi", "SQL injection"), ("CrossSiteScripting", "Cross-site scripting"), ("GenericLFI", "Path traversal / LFI"),
    ("LFI_", "Path traversal / LFI"), ("GenericRFI", "Remote file inclusion"), ("EC2MetaDataSSRF", "SSRF"),
    ("UnixShell", "Command injection"), ("WindowsShell", "Command injection"), ("PowerShell", "Command injection"),
    ("PHP", "PHP injection"), ("Log4J", "Java / Log4Shell"), ("JavaDeserialization", "Java / Log4Shell"),
    ("NoUserAgent", "Bots and scanners"), ("UserAgent_BadBots", "Bots and scanners"),
    ("SizeRestrictions", "Oversize request"), ("RestrictedExtensions", "Exploitable paths"),
    ("ExploitablePaths", "Exploitable paths"), ("Host_localhost", "Host header abuse"),
    ("PROPFIND", "WebDAV probing"), ("AWSManagedIPReputation", "IP reputation"),
    ("AWSManagedReconnaissance", "IP reputation"), ("AnonymousIP", "Anonymous IP"),
    ("HostingProvider", "Anonymous IP"), ("NoSQL", "Injection (other)"), ("SSTI", "Injection (other)"),
    ("LDAP", "Injection (other)"), ("XXE", "Injection (other)"), ("CRLF", "Injection (other)"),
)


def attack_category(record: dict[str, Any]) -> str:
    rule = str(record.get("terminatingRuleId") or "")
    for group in record.get("ruleGroupList") or []:
        terminating = (group or {}).get("terminatingRule") or {}
        if terminating.get("ruleId"):
            rule = str(terminating["ruleId"])
    if rule == "Default_Action":
        return "Path not allowed (default Block)"
    return next((label for prefix, label in CATEGORIES if rule.startswith(prefix)), rule or "other")


def waf_rule_counts() -> dict[str, dict[str, float]]:
    """This process's WAF rule matches by rule and action (the same counters Prometheus scrapes)."""
    from prometheus_client import REGISTRY

    out: dict[str, dict[str, float]] = {}
    for metric in REGISTRY.collect():
        if metric.name != "assetguard_waf_rule_matches":
            continue
        for s in metric.samples:
            if s.name.endswith("_total"):
                rule, action = s.labels.get("rule", "?"), s.labels.get("action", "?")
                out.setdefault(rule, {})[action] = out.get(rule, {}).get(action, 0.0) + s.value
    return out


@router.get("/security", response_class=HTMLResponse)
def security_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep) -> HTMLResponse:
    today = utcnow().date()
    first = today - timedelta(days=DAYS - 1)
    per_day = finding_stats.created_per_day(platform, datetime.combine(first, time(), tzinfo=UTC))
    days = [first + timedelta(days=i) for i in range(DAYS)]
    present = [s for s in SEVERITIES if any(k[1] == s for k in per_day)]
    charts: dict[str, Any] = {}
    if present:
        charts["severity"] = stacked_bar_chart(
            [d.isoformat()[5:] for d in days],
            [Series(s, [float(per_day.get((d, s), 0)) for d in days], SEVERITY_COLOURS[s]) for s in present],
            title="New findings per day by severity", y_label="findings", legend=True, integer=True)
    by_rule = finding_stats.open_top(platform, "generator_id", 10)
    if by_rule:
        charts["rules"] = bar_chart([g.rsplit("/", 1)[-1] for g, _ in by_rule], [float(n) for _, n in by_rule],
                                    name="open findings", title="Open findings by rule (top 10)", integer=True)
    scores = [s for s in compliance_stats.pack_scores(platform) if s.score is not None]
    if scores:
        charts["compliance"] = bar_chart([s.pack for s in scores], [round(100 * (s.score or 0), 1) for s in scores],
                                         name="score %", title="Compliance score per conformance pack", y_label="%")
    rules = waf_rule_counts()
    if rules:
        names = sorted(rules, key=lambda r: -sum(rules[r].values()))[:10]
        charts["waf"] = stacked_bar_chart(
            list(names),
            [Series(a, [rules[n].get(a, 0.0) for n in names]) for a in ("BLOCK", "COUNT", "ALLOW")
             if any(rules[n].get(a) for n in names)],
            title="WAF decisions per rule (this process)", y_label="requests", legend=True, integer=True)
    blocked = platform.bus.recent(detail_type="WAF Request Blocked", limit=1000)
    ips = Counter(str(((e.get("detail") or {}).get("httpRequest") or {}).get("clientIp")) for e in blocked)
    categories = Counter(attack_category(e.get("detail") or {}) for e in blocked)
    if categories:
        top = categories.most_common(8)
        charts["categories"] = bar_chart([c for c, _ in top], [float(n) for _, n in top], name="blocked",
                                         title="Blocked requests by attack category (recent)", integer=True)
    mttn = finding_stats.mean_time_to_notify(platform)
    return render(request, "telemetry/security.html", {
        "charts": charts, "open": finding_stats.open_by_severity(platform), "severities": SEVERITIES,
        "by_asset": finding_stats.open_top(platform, "resource_id", 10), "scores": scores,
        "top_ips": ips.most_common(10), "remediations": compliance_stats.remediation_counts(platform),
        "mttn": mttn, "blocked_total": len(blocked), "today": date.today()})
