"""No secret reaches a viewer: plant distinctive secrets in every target kind and every secret
setting, then read everything a viewer can read (every GET route of the OpenAPI schema, every
console page) and what ``rules``, ``events`` and ``config show`` print; no planted secret may
appear anywhere, nor in the log records written meanwhile.

Deliveries exist for every planted target (dispatched, not sent: nothing here talks to Slack),
and one webhook delivery really fails against a closed loopback port, so its error message is
in the ledger and the dead-letter queue.

Runs on SQLite and, when ``ASSETGUARD_TEST_POSTGRES_URL`` is set, on a throwaway PostgreSQL
database (the ``db_url`` fixture's two backends): a scaled-out deployment must mask as well.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assetguard.auth.principal import SYSTEM
from assetguard.core.settings import Settings
from assetguard.events.delivery import DeliveryLedger
from assetguard.events.dispatch import Dispatcher
from assetguard.events.dlq import DeadLetters
from assetguard.events.put_events import put_events
from assetguard.events.rule_store import RuleStore, parse_rule
from assetguard.events.worker import EventWorker
from assetguard.runtime.platform import Platform
from assetguard.tagging.params import parameter_store


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CLOSED_PORT = _closed_port()
# Each secret carries a marker found nowhere else; a response leaks when it holds a marker.
SECRETS = {
    "setting smtp.password": "pl4nt-smtp-password-91c2",
    "setting slack.webhook_url": "https://hooks.slack.com/services/TPL4NT01/BPL4NT01/pl4ntSlackSettingHook91c2",
    "setting slack.bot_token": "xoxb-1111-2222-pl4ntSettingBot91c2",
    "setting secret_key": "pl4nt-deployment-secret-key-91c2",
    "setting secret_key_fallbacks": "pl4nt-previous-secret-key-91c2",
    "setting bus_url password": "pl4ntNatsPassword91c2",
    "setting waf.upstream password": "pl4ntUpstreamPassword91c2",
    "setting waf.redis_url password": "pl4ntRedisPassword91c2",
    "slack target webhook_url": "https://hooks.slack.com/services/TPL4NT02/BPL4NT02/pl4ntSlackTargetHook91c2",
    "slack target bot_token": "xoxb-3333-4444-pl4ntTargetBot91c2",
    "webhook target url": "https://siem.example.com/ingest/pl4ntWebhookPath91c2?key=pl4ntWebhookQuery91c2",
    "webhook target secret": "pl4nt-webhook-hmac-91c2",
    "local webhook url": f"http://127.0.0.1:{CLOSED_PORT}/pl4ntLocalWebhookPath91c2",
    "local webhook secret": "pl4nt-local-hmac-91c2",
    "unknown target api_key": "pl4nt-pager-api-key-91c2",
    "unknown target password": "pl4nt-pager-password-91c2",
    "SecureString parameter": "pl4nt-secure-parameter-91c2",
    "query-string token": "pl4ntQueryToken91c2",
    "blocked request's Authorization": "pl4ntBlockedBearer91c2",
    "blocked request's query token": "pl4ntBlockedQuery91c2",
    "event detail password": "pl4nt-event-password-91c2",
}
MARKERS = {what: re.findall(r"pl4nt[A-Za-z-]*91c2", value)[0] for what, value in SECRETS.items()}
VIEWER_ROUTE_PARAMS = {"rule": "planted-notify", "path": "/", "recursive": "true", "decrypt": "true",
                       "include_redriven": "true", "group_by": "ResourceType"}


def leaks(text: str) -> list[str]:
    return [what for what, marker in MARKERS.items() if marker.lower() in text.lower()]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data_dir=tmp_path / ".assetguard", database_url=db_url,  # type: ignore[arg-type]
                    secret_key=SECRETS["setting secret_key"],
                    secret_key_fallbacks=[SECRETS["setting secret_key_fallbacks"]],
                    smtp={"host": "127.0.0.1", "port": CLOSED_PORT, "username": "alerts",
                          "password": SECRETS["setting smtp.password"], "recipients": ["ops@example.com"]},
                    slack={"webhook_url": SECRETS["setting slack.webhook_url"],
                           "bot_token": SECRETS["setting slack.bot_token"], "channel": "#alerts"},
                    waf={"acl": "planted",  # a small stored ACL: the console's WAF page compiles it
                         "upstream": f"http://app:{SECRETS['setting waf.upstream password']}@127.0.0.1:8001",
                         # A Redis that refuses this password: the throttle falls back to the database.
                         "redis_url": f"redis://:{SECRETS['setting waf.redis_url password']}@127.0.0.1:6379/15"},
                    telemetry={"enabled": True})


PLANTED_RULES: list[dict[str, Any]] = [
    {"name": "planted-notify", "pattern": {"source": ["planted.app"]}, "targets": [
        {"id": "mail", "type": "email", "config": {"recipients": ["sec@example.com"]}},
        {"id": "chat", "type": "slack", "config": {"webhook_url": SECRETS["slack target webhook_url"],
                                                   "bot_token": SECRETS["slack target bot_token"]}},
        {"id": "siem", "type": "webhook", "config": {"url": SECRETS["webhook target url"],
                                                     "secret": SECRETS["webhook target secret"]}},
        {"id": "pager", "type": "pager-not-installed",
         "config": {"api_key": SECRETS["unknown target api_key"], "password": SECRETS["unknown target password"],
                    "nested": {"hook": SECRETS["slack target webhook_url"]}}},
        {"id": "box", "type": "outbox"},
    ]},
    {"name": "planted-local", "pattern": {"source": ["planted.local"]}, "targets": [
        {"id": "local", "type": "webhook", "retry_policy": {"maximum_retry_attempts": 0},
         "config": {"url": SECRETS["local webhook url"], "secret": SECRETS["local webhook secret"]}},
    ]},
    {"name": "planted-quiet", "pattern": {"source": ["planted.app"]}, "targets": [
        {"id": "log", "type": "log"}, {"id": "tag", "type": "autotag", "config": {"dry_run": True}},
        {"id": "fix", "type": "remediation", "config": {"dry_run": True}},
        {"id": "note", "type": "findings-notified"}, {"id": "eval", "type": "compliance-evaluate"},
    ]},
    {"name": "planted-rescan", "pattern": {"source": ["planted.app"]}, "targets": [
        {"id": "rescan", "type": "vulns-rescan"}]},
    {"name": "planted-outbox", "pattern": {"source": ["planted.outbox"]}, "targets": [
        {"id": "box", "type": "outbox"}]},
]
ASSET = "urn:assetguard:host:planted-web-1"


def plant(platform: Platform) -> None:
    """Rules with secret-bearing targets, their deliveries (one really failed), a SecureString."""
    store = RuleStore(platform)
    for document in PLANTED_RULES:
        store.put(parse_rule(document), actor=SYSTEM)
    parameter_store(platform).put("/assetguard/tags/default/DbPassword", SECRETS["SecureString parameter"],
                                  "SecureString", actor=SYSTEM)
    # A real failed delivery: the local webhook's port is closed, no retries, so it is dead-lettered.
    # A real outbox notification of an event whose detail carries a credential (as a CloudTrail
    # record may): its body is what mail, Slack and the outbox show.
    detail = json.dumps({"db": {"user": "app", "password": SECRETS["event detail password"]}})
    assert put_events(platform, [{"Source": "planted.local", "DetailType": "Planted", "Detail": "{}"},
                                 {"Source": "planted.outbox", "DetailType": "Planted", "Detail": detail}])[
        "FailedEntryCount"] == 0
    worker = EventWorker(platform, install_defaults=False)
    assert worker.drain(30)
    worker._finish()
    # Deliveries for every other planted target: dispatched, not sent. The event's detail carries a
    # credential of its own (as a CloudTrail record may).
    assert put_events(platform, [{"Source": "planted.app", "DetailType": "Planted", "Detail": detail}])[
        "FailedEntryCount"] == 0
    Dispatcher(platform).run_once()
    ledger = DeliveryLedger(platform).list(limit=1000)
    assert {d["rule"] for d in ledger} >= {"planted-notify", "planted-local"}
    assert DeadLetters(platform).list(rule="planted-local"), "the local webhook delivery was expected to fail"
    from assetguard.targets.outbox import list_notifications

    assert list_notifications(platform, limit=10), "the outbox delivery was expected to succeed"


def populate(client: TestClient, admin: dict[str, str], platform: Platform) -> None:
    """One real object behind each path parameter of the API's GET routes."""
    from assetguard.inventory.service import InventoryService
    from tests.findings.factory import make_finding
    from tests.vulns.conftest import host, pypi

    budget = {"Budget": {"BudgetName": "planted-budget", "BudgetType": "COST", "TimeUnit": "MONTHLY",
                         "BudgetLimit": {"Amount": "100", "Unit": "USD"}}}
    assert client.put("/cost/budgets", json=budget, headers=admin).status_code == 200
    resp = client.post("/findings/import", json={"Findings": [make_finding("planted-finding")]}, headers=admin)
    assert resp.status_code == 200 and resp.json()["SuccessCount"] == 1, resp.text
    resp = client.post("/findings/insights/saved", headers=admin,
                       json={"Name": "planted-insight", "GroupByAttribute": "ResourceType"})
    assert resp.status_code == 201, resp.text
    advisory = {"id": "OSV-2099-PLANT", "modified": "2026-01-01T00:00:00Z",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "six"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}
    assert client.post("/vulns/advisories", json=[advisory], headers=admin).status_code == 200
    InventoryService(platform).apply_collection("host", [host(ASSET, [pypi("six", "1.16.0")])])
    acl = {"Name": "planted", "DefaultAction": {"Allow": {}}, "Rules": [], "VisibilityConfig": {
        "SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "planted"}}
    resp = client.put("/waf/acls/planted", json=acl, headers=admin)
    assert resp.status_code == 200, resp.text


def _fill(path: str, found: dict[str, str]) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: found.get(f"{path}:{m[1]}", found.get(m[1], "none")), path)


def console_get_pages() -> list[str]:
    """Every GET route of every console page module, plus the home page."""
    from assetguard.console import pages
    from assetguard.console.nav import CONSOLE_PREFIX, discover_pages

    paths = [CONSOLE_PREFIX + "/"]
    for page in discover_pages(pages):
        paths += [CONSOLE_PREFIX + route.path for route in page.router.routes
                  if "GET" in (getattr(route, "methods", None) or ())]
    return paths


def viewer_get_routes(client: TestClient, admin: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Every GET operation, with path parameters taken from real objects and each documented
    query parameter this test knows a value for (the route is also read without them)."""
    schema = client.get("/openapi.json").json()

    def first(route: str, *keys: str) -> str:
        body = client.get(route, headers=admin).json()
        items = body if isinstance(body, list) else next((v for v in body.values() if isinstance(v, list)), []) \
            if isinstance(body, dict) else []
        for item in items:
            for key in keys:
                if isinstance(item, dict) and item.get(key):
                    return str(item[key])
        return "none"

    found = {"/rules/{name}:name": "planted-notify", "/params/{name}:name": "assetguard/tags/default/DbPassword",
             "/cost/budgets/{name}:name": "planted-budget", "/cost/budgets/{name}/status:name": "planted-budget",
             "/findings/insights/saved/{name}/results:name": "planted-insight",
             "trace_id": first("/telemetry/traces", "trace_id", "traceId"),
             "advisory_id": "OSV-2099-PLANT", "arn": ASSET, "id": "planted-finding",
             "/waf/acls/{name}:name": "planted", "/waf/acls/{name}/versions:name": "planted"}
    routes: list[tuple[str, dict[str, str]]] = []
    for path, ops in schema["paths"].items():
        if "get" not in ops:
            continue
        url = _fill(path, found)
        params = {p["name"]: p for p in ops["get"].get("parameters", []) if p.get("in") == "query"}
        known = {name: VIEWER_ROUTE_PARAMS.get(name, found.get(name, "")) for name in params}
        required = {name: value for name, value in known.items() if params[name].get("required")}
        routes.append((url, required))
        optional = {name: value for name, value in known.items() if value}
        if optional != required:
            routes.append((url, {**optional, **required}))
    return routes


def test_no_planted_secret_reaches_a_viewer(client: TestClient, platform: Platform, admin_headers: dict[str, str],
                                            viewer_headers: dict[str, str], console_login: Any,
                                            caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    plant(platform)
    populate(client, admin_headers, platform)
    found: list[str] = []
    answered: dict[str, int] = {}

    # A WAF gate in this process (the console shows its proxy line) that blocked a request carrying
    # credentials (kept among the recent blocks a viewer reads).
    from assetguard.waf.engine import compile_acl
    from assetguard.waf.gate import WafGate
    from assetguard.waf.request import HttpRequest

    vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "planted"}
    gate = WafGate(lambda: compile_acl({"Name": "planted", "DefaultAction": {"Block": {}}, "Rules": [],
                                        "VisibilityConfig": vis}))
    query, bearer = SECRETS["blocked request's query token"], SECRETS["blocked request's Authorization"]
    blocked = HttpRequest("GET", f"/x?token={query}", headers=[("Authorization", f"Bearer {bearer}")])
    assert gate.inspect(blocked).action == "BLOCK"
    assert client.get("/waf/status", headers=viewer_headers).json()["recent_blocks"]

    # A failed authentication: the throttle tries the Redis that refuses its password, and logs it.
    assert client.get("/rules", headers={"Authorization": "Bearer ag_0badc0de_wrong"}).status_code == 401

    # A request carrying a token in its query string (traced with its URL).
    client.get("/rules", params={"access_token": SECRETS["query-string token"]}, headers=viewer_headers)

    # Every GET route of the API, as a viewer.
    for url, params in viewer_get_routes(client, admin_headers):
        resp = client.get(url, params=params, headers=viewer_headers)
        answered[f"{url}?{'&'.join(params)}"] = resp.status_code
        found += [f"GET {url} {params}: {what}" for what in leaks(resp.text)]
    assert answered["/rules/planted-notify?"] == 200 and answered["/events/deliveries?rule"] == 200
    assert answered["/events/dlq?rule&include_redriven"] == 200
    # Not readable as a viewer: /tokens (admin), and names of kinds this test creates none of.
    not_ok = {route: code for route, code in answered.items()
              if code != 200 and not route.startswith("/tokens") and "/none" not in route}
    assert not not_ok, f"routes the walk could not read as a viewer: {not_ok}"
    deliveries = client.get("/events/deliveries", params={"rule": "planted-notify"}, headers=viewer_headers).json()
    assert {d["target_id"] for d in deliveries} >= {"chat", "siem", "pager"}  # the walk read real records

    # The trace of the request with the query-string token was read, with the token masked.
    from assetguard.telemetry.setup import telemetry_for

    telemetry_for(platform).flush()
    traces = client.get("/telemetry/traces", params={"limit": 200}, headers=admin_headers).json()
    bodies = [client.get(f"/telemetry/traces/{t['trace_id']}", headers=viewer_headers).text for t in traces]
    assert any("access_token=***" in body for body in bodies), "the query-string request was not traced"

    # Every console page, as a viewer.
    trace = str(traces[0].get("trace_id", "none")) if traces else "none"
    console_login("viewer")
    for path in console_get_pages():
        resp = client.get(_fill(path, {"trace_id": trace}), params={"rule": "planted-notify", "arn": ASSET,
                                                                     "id": "planted-finding"})
        answered[path] = resp.status_code
        found += [f"console {path}: {what}" for what in leaks(resp.text)]
    assert answered["/console/rules"] == 200 and answered["/console/waf"] == 200
    gate.close()

    # (The test client's own request log, logger "httpx", is not the platform's.)
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpx2")))
    found += [f"log record: {what}" for what in leaks(logged)]
    assert not found, "planted secrets shown:\n" + "\n".join(found)


def test_no_planted_secret_in_cli_output(platform: Platform, settings: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assetguard.cli.main import app

    plant(platform)
    env = {"ASSETGUARD_DATA_DIR": str(settings.data_dir), "ASSETGUARD_DATABASE_URL": str(settings.database_url),
           "ASSETGUARD_SECRET_KEY": SECRETS["setting secret_key"],
           "ASSETGUARD_SECRET_KEY_FALLBACKS": json.dumps([SECRETS["setting secret_key_fallbacks"]]),
           "ASSETGUARD_SMTP__HOST": "127.0.0.1", "ASSETGUARD_SMTP__PASSWORD": SECRETS["setting smtp.password"],
           "ASSETGUARD_SLACK__WEBHOOK_URL": SECRETS["setting slack.webhook_url"],
           "ASSETGUARD_SLACK__BOT_TOKEN": SECRETS["setting slack.bot_token"],
           "ASSETGUARD_TELEMETRY__ENABLED": "false", "ASSETGUARD_CONFIG": str(tmp_path / "none.yaml")}
    (tmp_path / "none.yaml").write_text("{}\n")
    found: list[str] = []
    commands = [["rules", "list"], ["rules", "list", "--json"], ["events", "dlq", "list"],
                ["events", "dlq", "list", "--json", "--all"], ["token", "list"],
                ["config", "show"], ["config", "show", "--json"]]
    outputs: dict[str, str] = {}
    for args in commands:
        extra = {"ASSETGUARD_BUS_URL": f"nats://alerts:{SECRETS['setting bus_url password']}@127.0.0.1:4222"} \
            if args[0] == "config" else {}
        result = CliRunner().invoke(app, args, env={**env, **extra})
        assert result.exit_code == 0, (args, result.output, result.exception)
        outputs[" ".join(args)] = result.output
        found += [f"assetguard {' '.join(args)}: {what}" for what in leaks(result.output)]
    assert "planted-notify" in outputs["rules list --json"]
    shown = json.loads(outputs["config show --json"])
    assert shown["smtp"]["host"] == "127.0.0.1" and shown["smtp"]["password"]  # shown, masked
    assert not found, "planted secrets printed:\n" + "\n".join(found)
