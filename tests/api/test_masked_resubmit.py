"""A masked document sent back keeps the stored secrets: ``GET /rules`` then ``PUT`` unchanged, and
``rules list --json`` then ``rules put``, leave every stored target config exactly as it was; a mask
with no stored secret behind it is refused with its JSON path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assetguard.auth.principal import SYSTEM
from assetguard.core.redact import REDACTED
from assetguard.events.rule_store import RuleStore, parse_rule
from assetguard.runtime.platform import Platform
from tests.api.test_planted_secrets import PLANTED_RULES, SECRETS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

# Secrets inside a list of objects (an unknown target type's own shape) and a URL with a password.
LISTED = {"name": "planted-listed", "pattern": {"source": ["planted.list"]}, "targets": [
    {"id": "relay", "type": "relay-not-installed", "config": {
        "endpoints": [{"url": "https://a.example/in", "api_key": "pl4nt-listed-key-1"},
                      {"url": "https://b.example/in", "api_key": "pl4nt-listed-key-2"}],
        "broker": "amqp://relay:pl4nt-broker-pw@mq.example:5672/alerts"}}]}
RULES = [*PLANTED_RULES, LISTED]


def stored(platform: Platform) -> dict[str, Any]:
    return {r.rule.name: r.rule.document() for r in RuleStore(platform).list_rules()}


@pytest.fixture
def planted(platform: Platform) -> dict[str, Any]:
    for document in RULES:
        RuleStore(platform).put(parse_rule(copy.deepcopy(document)), actor=SYSTEM)
    return stored(platform)


def test_get_then_put_keeps_every_stored_secret(client: TestClient, platform: Platform, planted: dict[str, Any],
                                                operator_headers: dict[str, str]) -> None:
    for name in planted:
        shown = client.get(f"/rules/{name}", headers=operator_headers).json()
        if name not in ("planted-quiet", "planted-rescan", "planted-outbox"):  # rules without secrets
            assert REDACTED in json.dumps(shown["targets"])
        body = {k: v for k, v in shown.items() if k not in ("origin", "revision")}
        resp = client.put(f"/rules/{name}", headers=operator_headers, json=body)
        assert resp.status_code == 200, resp.text
    after = stored(platform)
    assert after == planted
    assert SECRETS["webhook target secret"] in json.dumps(after)


def test_an_edited_masked_document_keeps_secrets_and_takes_the_edit(client: TestClient, platform: Platform,
                                                                    planted: dict[str, Any],
                                                                    operator_headers: dict[str, str]) -> None:
    shown = client.get("/rules/planted-listed", headers=operator_headers).json()
    shown["targets"][0]["config"]["endpoints"][1]["api_key"] = "pl4nt-rotated-key"
    body = {k: v for k, v in shown.items() if k not in ("origin", "revision")}
    assert client.put("/rules/planted-listed", headers=operator_headers, json=body).status_code == 200
    config = stored(platform)["planted-listed"]["targets"][0]["config"]
    assert [e["api_key"] for e in config["endpoints"]] == ["pl4nt-listed-key-1", "pl4nt-rotated-key"]
    assert config["broker"] == "amqp://relay:pl4nt-broker-pw@mq.example:5672/alerts"


@pytest.mark.parametrize(("target", "path"), [
    ({"id": "new", "type": "webhook", "config": {"url": REDACTED}}, "targets[1].config.url"),
    ({"id": "relay", "type": "relay-not-installed",
      "config": {"endpoints": [{}, {}, {"url": "https://c.example", "api_key": REDACTED}]}},
     "targets[1].config.endpoints[2].api_key"),
    ({"id": "new2", "type": "relay-not-installed", "config": {"broker": f"amqp://relay:{REDACTED}@other:5672/"}},
     "targets[1].config.broker"),
], ids=["new-target", "new-list-item", "url-password"])
def test_a_mask_with_no_stored_secret_is_refused_naming_its_path(client: TestClient, planted: dict[str, Any],
                                                                 operator_headers: dict[str, str],
                                                                 target: dict[str, Any], path: str) -> None:
    shown = client.get("/rules/planted-listed", headers=operator_headers).json()
    body = {k: v for k, v in shown.items() if k not in ("origin", "revision")}
    body["targets"] = [{"id": "keep", "type": "log"}, target]
    resp = client.put("/rules/planted-listed", headers=operator_headers, json=body)
    assert resp.status_code == 400, resp.text
    assert path in resp.text and ("send the secret itself" in resp.text or "send the password itself" in resp.text)


def test_cli_rules_list_json_put_back_keeps_every_stored_secret(platform: Platform, planted: dict[str, Any],
                                                                tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assetguard.cli.main import app

    settings = platform.settings
    env = {"ASSETGUARD_DATA_DIR": str(settings.data_dir), "ASSETGUARD_DATABASE_URL": str(settings.database_url),
           "ASSETGUARD_SECRET_KEY": "test-secret-key-0123456789abcdef", "ASSETGUARD_TELEMETRY__ENABLED": "false",
           "ASSETGUARD_CONFIG": str(tmp_path / "none.yaml")}
    (tmp_path / "none.yaml").write_text("{}\n")
    listed = CliRunner().invoke(app, ["rules", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    documents = [{k: v for k, v in d.items() if k not in ("origin", "revision")} for d in json.loads(listed.output)]
    (tmp_path / "rules.json").write_text(json.dumps(documents))
    put = CliRunner().invoke(app, ["rules", "put", str(tmp_path / "rules.json")], env=env)
    assert put.exit_code == 0, (put.output, put.exception)
    assert stored(platform) == planted
