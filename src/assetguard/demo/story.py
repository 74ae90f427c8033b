"""``assetguard demo load``: fill a platform with a realistic story, through each domain's own service API.

The story is one small AWS account (``story_data``) and this machine:

1. **cost** — generated daily FOCUS rows for the previous and the current month (services, regions,
   tagged and untagged resources, a month-start support charge) sized so the shipped ``monthly-total``
   budget (1,000 USD) passes ACTUAL > 85 % this month, plus the shipped FOCUS 1.0 sample (CC BY 4.0);
2. **inventory** — the AWS Config snapshot written to ``<data_dir>/demo/`` and read by the ``snapshot``
   collector, and the CycloneDX SBOM of the account's ``acme/api:1.4`` container image;
3. **tagging** — a day of CloudTrail records; the auto-tagger tags the created volumes in the inventory;
4. **host** — the ``host`` collector on this machine;
5. **compliance** — the ``baseline`` and ``kisa-unix`` packs, whose failures become findings;
6. **vulns** — the shipped synthetic OSV advisories, then a scan of every asset with packages;
7. **alerts** — the shipped event rules are installed and the event worker drains the bus once, so
   ``security-alerts`` and ``budget-alerts`` deliveries land in the outbox (or e-mail/Slack);
8. **archive and replay** — before the events flow, an archive of findings events (``demo-findings``);
   at the end, a replay of it to ``demo-replay-log``, a rule that only logs replayed events.

Every step is idempotent: running the loader again replaces the same cost periods, re-collects the
same assets (no duplicates) and re-imports the same findings. A failing step is reported and the
others still run::

    results = StoryLoader(platform).run(on_step=lambda r: print(r.name, r.ok, r.summary))
    assert all(r.ok for r in results)
"""

from __future__ import annotations

import csv
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.demo.story_data import ACCOUNT, REGION, aws_config_snapshot, cloudtrail_day

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)

# FOCUS 1.0 sample data, CC BY 4.0 (c) FinOps Foundation; see data/focus_sample.LICENSE.md and data/README.md
FOCUS_SAMPLE = Path(__file__).resolve().parent / "data" / "focus_sample.csv"
DEMO_ARCHIVE = "demo-findings"
DEMO_REPLAY_RULE = "demo-replay-log"
REPLAY_WAIT_SECONDS = 120.0  # inside ``up --demo``: how long the replay step waits for archived events
MONTH_TO_DATE_TARGET = 900.0  # USD this month so far: 90 % of monthly-total's 1,000 USD → ACTUAL > 85 % fires
SUPPORT_CHARGE = 100.0  # the month-start charge (a support plan billed on day 1)
IMAGE_NAME, IMAGE_VERSION = "acme/api", "1.4"  # the container image the ECS task definition runs
WEB_TEAM_BUDGET = {
    "Budget": {"BudgetName": "team-web", "BudgetType": "COST", "TimeUnit": "MONTHLY",
               "BudgetLimit": {"Amount": "400", "Unit": "USD"}, "Metrics": ["BilledCost"],
               "FilterExpression": {"Tags": {"Key": "team", "Values": ["web"]}}},
    "NotificationsWithSubscribers": [
        {"Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80,
                          "ThresholdType": "PERCENTAGE"}, "Subscribers": []}],
}

# (service, category, region, resource id, tags, share of the daily spend)
SPEND = [
    ("Amazon Elastic Compute Cloud", "Compute", REGION, "i-0demo00000000001", {"team": "web", "env": "prod"}, 0.30),
    ("Amazon Elastic Compute Cloud", "Storage", REGION, "vol-0demo0001", {}, 0.05),
    ("Amazon Relational Database Service", "Databases", REGION, "orders", {"team": "data", "env": "prod"}, 0.22),
    ("Amazon Simple Storage Service", "Storage", REGION, "acme-public-assets", {}, 0.06),
    ("Amazon Simple Storage Service", "Storage", REGION, "acme-backups", {"team": "data"}, 0.05),
    ("Elastic Load Balancing", "Networking", REGION, "web-alb", {"team": "web"}, 0.09),
    ("Amazon Elastic Container Service", "Compute", "eu-west-1", "api", {}, 0.12),
    ("AWS Lambda", "Compute", REGION, "resize", {"team": "web"}, 0.03),
    ("Amazon CloudWatch", "Management and Governance", REGION, "", {}, 0.05),
    ("AWS Key Management Service", "Security", REGION, "1234abcd-demo", {"team": "security"}, 0.03),
]
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "eu-west-1": "Europe (Ireland)"}
FOCUS_COLUMNS = ["BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
                 "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
                 "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName",
                 "ListCost", "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId",
                 "ServiceCategory", "ServiceName", "SubAccountId", "SubAccountName", "Tags"]


@dataclass
class StepResult:
    """What one step did: ``summary`` is one line for people; ``data`` the numbers tests check."""

    name: str
    ok: bool
    summary: str
    seconds: float
    data: dict[str, Any]


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def focus_rows(today: date, *, seed: int = 7) -> list[dict[str, Any]]:
    """Daily FOCUS 1.0 rows for the previous and the current month (up to and including ``today``).

    The current month's total is ``MONTH_TO_DATE_TARGET`` (support charge included) whatever the day,
    so the demo budget always shows ACTUAL > 85 %; the previous month runs at a similar daily rate
    with a weekly pattern, which gives the forecast enough history.
    """
    rng = random.Random(seed)
    this_month = _month_start(today)
    previous = _month_start(this_month - timedelta(days=1))
    days_so_far = (today - this_month).days + 1
    weekday_factor = [1.08, 1.1, 1.1, 1.06, 1.0, 0.82, 0.84]
    current_days = [this_month + timedelta(days=i) for i in range(days_so_far)]
    raw = [weekday_factor[d.weekday()] * rng.uniform(0.95, 1.05) for d in current_days]
    usage_total = MONTH_TO_DATE_TARGET - SUPPORT_CHARGE
    current_daily = {d: usage_total * w / sum(raw) for d, w in zip(current_days, raw, strict=True)}
    typical = usage_total / days_so_far if days_so_far >= 10 else 30.0
    previous_daily = {previous + timedelta(days=i): typical * weekday_factor[(previous + timedelta(days=i)).weekday()]
                      * rng.uniform(0.93, 1.07) for i in range((this_month - previous).days)}
    rows: list[dict[str, Any]] = []
    for daily in (previous_daily, current_daily):
        for day, amount in sorted(daily.items()):
            period_start = _month_start(day)
            for service, category, region, resource, tags, share in SPEND:
                rows.append(_row(day, period_start, service, category, region, resource, tags, amount * share,
                                 "Usage", "Usage-Based", f"{service} usage"))
            if day.day == 1:
                rows.append(_row(day, period_start, "AWS Support (Business)", "Management and Governance", "", "",
                                 {}, SUPPORT_CHARGE, "Purchase", "Recurring", "AWS Support (Business) monthly fee"))
    return rows


def _row(day: date, period_start: date, service: str, category: str, region: str, resource: str,
         tags: dict[str, str], cost: float, charge_category: str, frequency: str, description: str) -> dict[str, Any]:
    amount = f"{cost:.6f}"
    return {"BilledCost": amount, "BillingAccountId": ACCOUNT, "BillingAccountName": "acme",
            "BillingCurrency": "USD", "BillingPeriodEnd": _stamp(_next_month(period_start)),
            "BillingPeriodStart": _stamp(period_start), "ChargeCategory": charge_category, "ChargeClass": "",
            "ChargeDescription": description, "ChargeFrequency": frequency,
            "ChargePeriodEnd": _stamp(day + timedelta(days=1)), "ChargePeriodStart": _stamp(day),
            "ContractedCost": amount, "EffectiveCost": amount, "InvoiceIssuerName": "Amazon Web Services, Inc.",
            "ListCost": amount, "ProviderName": "AWS", "PublisherName": "Amazon Web Services, Inc.",
            "RegionId": region, "RegionName": REGION_NAMES.get(region, ""), "ResourceId": resource,
            "ServiceCategory": category, "ServiceName": service, "SubAccountId": ACCOUNT,
            "SubAccountName": "acme-prod", "Tags": json.dumps(tags, sort_keys=True)}


def write_focus_csv(path: Path, today: date) -> int:
    """Write the generated FOCUS file; returns its row count."""
    rows = focus_rows(today)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FOCUS_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def image_sbom() -> dict[str, Any]:
    """CycloneDX 1.5 SBOM of the account's API image: old packages the shipped advisories cover
    (log4j-core before 2.15.0 is the Log4Shell story)."""
    purls = ["pkg:deb/debian/openssl@3.0.9-1?arch=amd64&distro=debian-12",
             "pkg:deb/debian/zlib@1:1.2.13.dfsg-0?arch=amd64&distro=debian-12",
             "pkg:deb/debian/bash@5.2.15-2?arch=amd64&distro=debian-12",
             "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12",
             "pkg:pypi/requests@2.28.1", "pkg:pypi/urllib3@1.26.5", "pkg:pypi/jinja2@3.1.2",
             "pkg:pypi/fastapi@0.110.0", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
             "pkg:npm/lodash@4.17.15", "pkg:npm/minimist@1.2.5", "pkg:golang/golang.org/x/net@v0.10.0"]
    components = []
    for purl in purls:
        name_version = purl.split("?")[0].rsplit("/", 1)[-1]
        name, _, version = name_version.partition("@")
        components.append({"type": "library", "name": name, "version": version, "purl": purl,
                           "bom-ref": purl})
    return {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
            "serialNumber": "urn:uuid:6f1f3c1e-5a8e-4d8e-9a55-0d3c2c7d0a14",
            "metadata": {"component": {"type": "container", "name": IMAGE_NAME, "version": IMAGE_VERSION,
                                       "bom-ref": f"{IMAGE_NAME}:{IMAGE_VERSION}"}},
            "components": components}


class StoryLoader:
    """Runs the story's steps in order; each step goes through its domain's public service."""

    def __init__(self, platform: Platform, *, actor: Principal = SYSTEM, host_root: str = "/",
                 scan_filesystem: bool = True, focus_sample: Path | None = FOCUS_SAMPLE, drain: bool = True,
                 today: date | None = None) -> None:
        self.platform = platform
        self.actor = actor
        self.host_root = host_root
        self.scan_filesystem = scan_filesystem
        self.focus_sample = focus_sample
        self.drain = drain  # False inside ``up --demo``: the running worker delivers
        self.today = today or datetime.now(UTC).date()
        self.workdir = Path(platform.settings.data_dir) / "demo"

    @property
    def steps(self) -> list[tuple[str, Callable[[], tuple[str, dict[str, Any]]]]]:
        return [("rules", self.install_rules), ("archive", self.create_archive), ("cost", self.load_cost),
                ("aws-config", self.load_snapshot), ("image-sbom", self.load_sbom), ("autotag", self.autotag),
                ("host", self.load_host), ("compliance", self.evaluate_compliance), ("vulns", self.scan_vulns),
                ("alerts", self.deliver), ("replay", self.replay_findings)]

    def run(self, on_start: Callable[[str], None] | None = None,
            on_step: Callable[[StepResult], None] | None = None) -> list[StepResult]:
        results = []
        for name, step in self.steps:
            if on_start:
                on_start(name)
            started = time.monotonic()
            try:
                summary, data = step()
                result = StepResult(name, True, summary, time.monotonic() - started, data)
            except Exception as exc:  # one broken domain must not stop the rest of the story
                log.debug("demo step %s failed", name, exc_info=True)
                result = StepResult(name, False, f"{type(exc).__name__}: {exc}", time.monotonic() - started, {})
            results.append(result)
            if on_step:
                on_step(result)
        return results

    # -- steps ---------------------------------------------------------------------------------
    def install_rules(self) -> tuple[str, dict[str, Any]]:
        from assetguard.events.default_rules import load_default_rules
        from assetguard.events.rule_store import RuleStore

        store = RuleStore(self.platform)
        installed = store.install_defaults()
        # Say what the Rules page shows: the rules in place, not only those this step added (the
        # platform installs its defaults at start, before the story runs).
        in_place = sorted({rule.name for rule in load_default_rules()} & {stored.rule.name for stored in store.list_rules()})
        return (f"{len(in_place)} default event rule(s) in place ({len(installed)} installed by this step)",
                {"installed": installed, "in_place": in_place})

    def create_archive(self) -> tuple[str, dict[str, Any]]:
        """An archive of the story's findings events (before they flow, so that they are archived)."""
        from assetguard.events.archive import Archives, ArchiveSpec

        archives = Archives(self.platform)
        if DEMO_ARCHIVE not in {a["name"] for a in archives.list_archives()}:
            archives.create(ArchiveSpec(name=DEMO_ARCHIVE, retention_days=30, pattern={"source": ["assetguard.findings"]},
                                        description="Findings events of the demo story, kept 30 days for replays"),
                            actor=self.actor)
        return f"archive {DEMO_ARCHIVE} keeps findings events for 30 days", {"archive": DEMO_ARCHIVE}

    def replay_findings(self) -> tuple[str, dict[str, Any]]:
        """Replay the archived findings events to a rule that only logs replays: the Archives page then
        shows a finished replay, and no alert is sent twice."""
        from assetguard.events.archive import Archives, ReplaySpec
        from assetguard.events.rule_store import RuleStore
        from assetguard.events.rules import Rule

        store = RuleStore(self.platform)
        if DEMO_REPLAY_RULE not in {stored.rule.name for stored in store.list_rules()}:
            store.put(Rule.model_validate({
                "name": DEMO_REPLAY_RULE, "description": "Logs replayed findings events (the demo's replay)",
                "pattern": {"source": ["assetguard.findings"], "replay-name": [{"exists": True}]},
                "targets": [{"id": "log", "type": "log"}]}), actor=self.actor)
        archives = Archives(self.platform)
        name = f"demo-replay-{self.story_day().isoformat()}"
        done = [r for r in archives.list_replays() if r["name"] == name]
        if not done:
            # Inside ``up --demo`` the running worker archives the events: wait for it a little.
            deadline = time.monotonic() + (0 if self.drain else REPLAY_WAIT_SECONDS)
            while not archives.get(DEMO_ARCHIVE)["event_count"] and time.monotonic() < deadline:
                time.sleep(1.0)
            now = datetime.now(UTC)
            done = [archives.replay(ReplaySpec(name=name, archive=DEMO_ARCHIVE, rules=[DEMO_REPLAY_RULE],
                                               start=now - timedelta(days=2), end=now + timedelta(minutes=1)),
                                    actor=self.actor)]
            if self.drain:
                from assetguard.events.worker import run_worker_forever

                run_worker_forever(self.platform, once=True)
        replay = done[0]
        return (f"replay {name}: {replay['events_replayed']} archived event(s) to rule {DEMO_REPLAY_RULE}, "
                f"{replay['state']}", {"replay": name, "events": replay["events_replayed"]})

    def load_cost(self) -> tuple[str, dict[str, Any]]:
        from assetguard.cost.budget import BudgetDefinition, load_definitions
        from assetguard.cost.budgets import BudgetStore
        from assetguard.cost.evaluate import BudgetEvaluator
        from assetguard.cost.ingest import CostIngestor

        store = BudgetStore(self.platform)
        names = {d.name for d in store.list()}
        wanted = []
        if "monthly-total" not in names:  # shipped by the cost migration; put back if someone deleted it
            import assetguard.cost

            wanted += load_definitions(Path(assetguard.cost.__file__).parent / "defaults" / "monthly-total.yaml")
        if "team-web" not in names:
            wanted.append(BudgetDefinition.model_validate(WEB_TEAM_BUDGET))
        if wanted:
            store.put(wanted, actor=self.actor)
        path = self.workdir / "focus-demo.csv"
        rows = write_focus_csv(path, self.today)
        ingestor = CostIngestor(self.platform)
        summary = ingestor.ingest(path, "focus", actor=self.actor, evaluate=False)
        sample = ""
        if self.focus_sample is not None and self.focus_sample.exists():
            ingestor.ingest(self.focus_sample, "focus", actor=self.actor, evaluate=False)
            sample = " + the FOCUS sample"
        statuses = BudgetEvaluator(self.platform).evaluate(as_of=self.today, actor=self.actor)
        fired = [f"{s['budget']} {n['type']} > {n['threshold']:g}%" for s in statuses for n in s["notifications"]
                 if n["fired"]]
        total = next((s for s in statuses if s["budget"] == "monthly-total"), None)
        spent = f"; monthly-total {total['actual']:.0f} of {total['limit']:.0f} USD" if total else ""
        return (f"{rows} FOCUS rows{sample}{spent}; fired: {', '.join(fired) or 'none'}",
                {"rows": rows, "stored": summary.rows_stored, "budgets": statuses, "fired": fired})

    def load_snapshot(self) -> tuple[str, dict[str, Any]]:
        from assetguard.inventory.runner import run_collection

        day = self.story_day()
        snapshot = aws_config_snapshot(datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC))
        self._keep_applied_tags(snapshot["configurationItems"])
        path = self.workdir / "aws-config-snapshot.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(snapshot, indent=1), encoding="utf-8")
        s = run_collection(self.platform, "snapshot", {"paths": [str(path)]}, actor=self.actor)
        return (f"{len(snapshot['configurationItems'])} AWS resources: {s.created} new, {s.updated} updated, "
                f"{s.unchanged} unchanged", {"items": len(snapshot["configurationItems"]), "created": s.created})

    def _keep_applied_tags(self, items: list[dict[str, Any]]) -> None:
        """Tags the auto-tagger or the tag editor applied are on the real resources by the next snapshot,
        so a re-run must not strip them from the inventory."""
        from assetguard.core.errors import NotFoundError
        from assetguard.inventory.service import InventoryService

        inventory = InventoryService(self.platform)
        for item in items:
            try:
                stored = inventory.get(item["ARN"])
            except NotFoundError:
                continue
            item["tags"] = {**(stored.get("tags") or {}), **(item.get("tags") or {})}

    def load_sbom(self) -> tuple[str, dict[str, Any]]:
        from assetguard.inventory.runner import run_collection

        path = self.workdir / "acme-api-1.4.cdx.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(image_sbom(), indent=1), encoding="utf-8")
        s = run_collection(self.platform, "sbom", {"paths": [str(path)]}, actor=self.actor)
        return (f"SBOM of {IMAGE_NAME}:{IMAGE_VERSION}: {s.created} new, {s.updated} updated, {s.unchanged} unchanged",
                {"created": s.created})

    def story_day(self) -> date:
        """The day of the first load, stored in the work dir: the snapshot's dates (access key ages) and
        the CloudTrail day (the day before) derive from it, so re-runs change nothing and the
        auto-tagger recognises the same event ids."""
        marker = self.workdir / "story-day.txt"
        if marker.exists():
            try:
                return date.fromisoformat(marker.read_text(encoding="utf-8").strip())
            except ValueError:
                pass
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(self.today.isoformat(), encoding="utf-8")
        return self.today

    def autotag(self) -> tuple[str, dict[str, Any]]:
        from assetguard.tagging.autotag import AutoTagger

        day = self.story_day() - timedelta(days=1)
        records = cloudtrail_day(day)["Records"]
        path = self.workdir / f"cloudtrail-{day.isoformat()}.json"
        path.write_text(json.dumps({"Records": records}), encoding="utf-8")
        tagger = AutoTagger(self.platform, actor=self.actor, inventory_only=True)
        plans = [tagger.plan(r) for r in records]
        results = tagger.apply(plans)
        counts: dict[str, int] = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        creates = sum(1 for p in plans if not p.skipped)
        tagged = sorted({r.arn for r in results if r.status in ("tagged", "duplicate")})
        # Count resources, as the Tags page does: several create calls may name the same resource.
        resources: dict[str, set[str]] = {}
        for r in results:
            resources.setdefault(r.status, set()).add(r.arn)
        return (f"{len(records)} CloudTrail records ({day}), {creates} create call(s) for "
                f"{len({r.arn for r in results})} resource(s); "
                + ", ".join(f"{len(arns)} resource(s) {status}" for status, arns in sorted(resources.items())),
                {"tagged": tagged, "counts": counts})

    def load_host(self) -> tuple[str, dict[str, Any]]:
        from assetguard.inventory.runner import run_collection

        s = run_collection(self.platform, "host", {"root": self.host_root, "scan_filesystem": self.scan_filesystem},
                           actor=self.actor)
        return (f"this machine: {s.created} new, {s.updated} updated, {s.unchanged} unchanged",
                {"created": s.created, "updated": s.updated})

    def evaluate_compliance(self) -> tuple[str, dict[str, Any]]:
        from assetguard.compliance.evaluator import ComplianceEvaluator

        evaluator = ComplianceEvaluator(self.platform)
        parts, data = [], {}
        for pack in ("baseline", "kisa-unix"):
            report = evaluator.evaluate(pack=pack, actor=self.actor)
            counts = report.counts
            data[pack] = {**counts, "findings_imported": report.findings_imported}
            parts.append(f"{pack}: {counts.get('NON_COMPLIANT', 0)} non-compliant of {sum(counts.values())}")
        return "; ".join(parts), data

    def scan_vulns(self) -> tuple[str, dict[str, Any]]:
        from assetguard.cli.vulndb import FIXTURES
        from assetguard.inventory.service import InventoryService
        from assetguard.vulns.database import AdvisoryDatabase
        from assetguard.vulns.scanner import VulnerabilityScanner, packages_of

        imported = AdvisoryDatabase(self.platform).import_source(FIXTURES, actor=self.actor)
        assets = [a for a in InventoryService(self.platform).list_assets() if packages_of(a)]
        s = VulnerabilityScanner(self.platform).scan_assets(assets, actor=self.actor).as_dict()
        return (f"{imported.read} advisories read ({imported.added} new); {s['assets']} asset(s), {s['packages']} "
                f"packages: {s['findings_opened']} new, {s['findings_updated']} updated findings", s)

    def deliver(self) -> tuple[str, dict[str, Any]]:
        from assetguard.targets.outbox import list_notifications

        if not self.drain:
            return "left to the running worker", {}
        from assetguard.events.worker import run_worker_forever

        code = run_worker_forever(self.platform, once=True)
        notes = list_notifications(self.platform, limit=1000)
        return (f"event worker drained{'' if code == 0 else ' (timed out)'}; {len(notes)} notification(s) "
                "in the outbox", {"notifications": len(notes), "drained": code == 0})
