"""The home page's figures: what matters at a glance, each linking to its page.

Each figure is computed on its own; a domain that fails to answer shows "unavailable" with the
reason instead of breaking the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from assetguard.core.clock import utcnow
from assetguard.core.errors import AssetGuardError

log = logging.getLogger(__name__)

AUDIT_VERIFY_ROWS = 20_000  # beyond this the home page does not walk the chain (the Audit page can)
WAF_EVENTS_SCANNED = 1000  # the newest "WAF Request Blocked" events looked at for the last hour


@dataclass
class Figure:
    """One tile: a title, a headline value, its tone (ok / warn / bad / muted), detail lines, a link."""

    title: str
    href: str
    value: str = ""
    tone: str = "muted"
    lines: list[str] = field(default_factory=list)


def open_high_findings(platform: Any) -> Figure:
    from assetguard.findings.stats import open_by_severity

    counts = open_by_severity(platform)
    critical, high = counts.get("CRITICAL", 0), counts.get("HIGH", 0)
    return Figure("Open CRITICAL / HIGH findings", "/console/findings?severity=CRITICAL",
                  f"{critical} / {high}", "bad" if critical else ("warn" if high else "ok"),
                  [f"{sum(counts.values())} open in all"])


def budgets(platform: Any) -> Figure:
    from assetguard.cost.budgets import BudgetStore
    from assetguard.cost.report import budget_status

    lines, worst = [], 0.0
    names = [d.name for d in BudgetStore(platform).list()]
    for name in names:
        status = budget_status(platform, name)
        limit, actual = float(status["limit"] or 0), float(status["actual"] or 0)
        share = actual / limit if limit else 0.0
        forecast = status.get("forecast") or {}
        fired = [n for n in status["notifications"] if n["fired"]]
        lines.append(f"{name}: {actual:,.2f} of {limit:,.2f} ({share:.0%})"
                     + (f", forecast {float(forecast.get('mean', 0)):,.2f}" if forecast.get("mean") else "")
                     + (f", {len(fired)} alert(s) fired" if fired else ""))
        worst = max(worst, share)
    tone = "muted" if not names else ("bad" if worst > 1 else ("warn" if worst > 0.85 else "ok"))
    return Figure("Budgets", "/console/cost", f"{len(names)} budget(s)" if names else "none", tone, lines)


def waf_blocks(platform: Any) -> Figure:
    since = utcnow() - timedelta(hours=1)
    events = platform.bus.recent(detail_type="WAF Request Blocked", limit=WAF_EVENTS_SCANNED)
    recent = [e for e in events if _when(e.get("time")) >= since]
    value = f"{len(recent)}{'+' if len(events) == WAF_EVENTS_SCANNED and len(recent) == len(events) else ''}"
    return Figure("WAF blocks, last hour", "/console/waf", value, "warn" if recent else "ok",
                  ["sampled blocks published as events"])


def undelivered(platform: Any) -> Figure:
    from assetguard.events.delivery import DeliveryLedger
    from assetguard.events.dispatch import FAILED, IN_FLIGHT, PENDING
    from assetguard.events.dlq import DeadLetters

    counts = DeliveryLedger(platform).counts_by_rule()
    waiting = sum(c.get(PENDING, 0) + c.get(IN_FLIGHT, 0) for c in counts.values())
    failed = sum(c.get(FAILED, 0) for c in counts.values())
    dead = len(DeadLetters(platform).list(limit=1000))
    return Figure("Undelivered alerts", "/console/rules", str(waiting + failed),
                  "bad" if failed or dead else ("warn" if waiting else "ok"),
                  [f"{waiting} pending or in flight", f"{failed} failed", f"{dead} in the dead-letter queue"])


def collections(platform: Any) -> Figure:
    from assetguard.inventory.tables import inventory_collections as t

    stmt = select(t.c.source, func.max(t.c.finished_at)).group_by(t.c.source).order_by(t.c.source)
    with platform.db.connect() as conn:
        rows = [(source, finished) for source, finished in conn.execute(stmt) if finished is not None]
    lines = [f"{source}: {_when(finished).strftime('%Y-%m-%d %H:%M:%SZ')}" for source, finished in rows]
    newest = max((_when(f) for _, f in rows), default=None)
    stale = newest is None or utcnow() - newest > timedelta(days=1)
    return Figure("Last collection per source", "/console/assets", f"{len(rows)} source(s)",
                  "warn" if stale else "ok", lines or ["no collection yet"])


def audit_chain(platform: Any) -> Figure:
    newest = platform.audit.query(limit=1)
    size = int(newest[0]["seq"]) if newest else 0
    if size > AUDIT_VERIFY_ROWS:
        return Figure("Audit chain", "/console/audit?verify=true", f"{size:,} rows", "muted",
                      ["too long to verify here: verify on the Audit page"])
    report = platform.audit.verify()
    if report.ok:
        return Figure("Audit chain", "/console/audit", "intact", "ok", [f"{report.rows:,} rows verified"])
    return Figure("Audit chain", "/console/audit", "TAMPERED", "bad", report.problems[:3])


FIGURES: list[Callable[[Any], Figure]] = [open_high_findings, budgets, waf_blocks, undelivered, collections,
                                          audit_chain]


def home_figures(platform: Any) -> list[Figure]:
    out = []
    for compute in FIGURES:
        try:
            out.append(compute(platform))
        except AssetGuardError as exc:
            out.append(Figure(compute.__name__.replace("_", " "), "/console/", "unavailable", "muted", [str(exc)]))
    return out


def _when(value: Any) -> datetime:
    from datetime import UTC

    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
