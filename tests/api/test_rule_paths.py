"""``PUT /rules/{name}`` takes no server file path: a target config's ``ca_file`` (or any ``*_file``,
``*_path``, ``*_dir``) may only keep the value stored by the CLI."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from assetguard.auth.principal import SYSTEM
from assetguard.events.rule_store import RuleStore, parse_rule
from assetguard.runtime.platform import Platform

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _mail(ca_file: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {"recipients": ["ops@example.com"]}
    if ca_file is not None:
        config["ca_file"] = ca_file
    return {"name": "mail", "pattern": {"source": ["x"]}, "targets": [{"id": "m", "type": "email", "config": config}]}


def test_api_refuses_a_new_or_changed_path_and_keeps_a_stored_one(client: TestClient, platform: Platform,
                                                                  operator_headers: dict[str, str]) -> None:
    resp = client.put("/rules/mail", headers=operator_headers, json=_mail("/etc/shadow"))
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith("targets[0].config.ca_file: names a file on the server")
    assert client.get("/rules/mail", headers=operator_headers).status_code == 404  # nothing stored

    RuleStore(platform).put(parse_rule(_mail("/etc/ssl/relay-ca.pem")), actor=SYSTEM)  # the CLI may
    shown = client.get("/rules/mail", headers=operator_headers).json()
    body = {k: v for k, v in shown.items() if k not in ("origin", "revision")}
    body["description"] = "edited over the API"
    assert client.put("/rules/mail", headers=operator_headers, json=body).status_code == 200
    body["targets"][0]["config"]["ca_file"] = "/root/.ssh/id_rsa"
    resp = client.put("/rules/mail", headers=operator_headers, json=body)
    assert resp.status_code == 400 and "ca_file" in resp.json()["detail"]
    del body["targets"][0]["config"]["ca_file"]  # removing the path is fine
    assert client.put("/rules/mail", headers=operator_headers, json=body).status_code == 200
    assert "ca_file" not in RuleStore(platform).get("mail").rule.targets[0].config
