"""``/events`` and ``/rules`` over HTTP (both database backends)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from assetguard.auth.principal import SYSTEM
from assetguard.events.rule_store import RuleStore
from assetguard.events.rules import Rule
from assetguard.runtime.platform import Platform


def test_test_pattern_endpoint(client: TestClient, operator_headers: dict[str, str]) -> None:
    body = {"pattern": {"source": ["a"]}, "event": {"source": "a"}}
    assert client.post("/events/test-pattern", json=body, headers=operator_headers).json() == {"match": True}
    body = {"pattern": {"source": ["a"]}, "event": {"source": "b"}}
    assert client.post("/events/test-pattern", json=body, headers=operator_headers).json() == {"match": False}
    bad = client.post("/events/test-pattern", json={"pattern": {"source": "a"}, "event": {}}, headers=operator_headers)
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("$.source: ")
    cases = {"cases": [{"pattern": {"a": [1]}, "event": {"a": 1}}, {"pattern": {"a": []}, "event": {}}]}
    results = client.post("/events/test-pattern", json=cases, headers=operator_headers).json()["results"]
    assert results[0] == {"match": True} and "error" in results[1]


def test_put_events_per_entry_errors(client: TestClient, operator_headers: dict[str, str],
                                     platform: Platform) -> None:
    entries = [
        {"Source": "my.app", "DetailType": "Thing", "Detail": json.dumps({"k": 1})},
        {"DetailType": "Thing", "Detail": "{}"},
        {"Source": "my.app", "Detail": "{}"},
        {"Source": "my.app", "DetailType": "Thing", "Detail": "[1, 2]"},
        {"Source": "my.app", "DetailType": "Thing", "Detail": "{not json"},
        {"Source": "my.app", "DetailType": "Thing", "Detail": json.dumps({"big": "x" * (256 * 1024)})},
        {"Source": "my.app", "DetailType": "Thing", "Detail": {"as": "object"}, "Resources": ["arn:x"]},
    ]
    resp = client.post("/events", json={"Entries": entries}, headers=operator_headers)
    assert resp.status_code == 200, resp.text
    result = resp.json()
    assert result["FailedEntryCount"] == 5
    e = result["Entries"]
    assert "EventId" in e[0] and "EventId" in e[6]
    assert e[1] == {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument."}
    assert e[2]["ErrorMessage"] == "Parameter DetailType is not valid. Reason: DetailType is a required argument."
    assert e[3] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert e[4]["ErrorCode"] == "MalformedDetail"
    assert e[5]["ErrorCode"] == "InvalidArgument" and "256 KB" in e[5]["ErrorMessage"]
    stored = {ev["id"]: ev for ev in platform.bus.recent(limit=10)}
    assert set(stored) == {e[0]["EventId"], e[6]["EventId"]}
    assert stored[e[6]["EventId"]]["resources"] == ["arn:x"]
    assert stored[e[0]["EventId"]]["detail"] == {"k": 1}


def test_put_events_batch_over_ten_is_rejected(client: TestClient, operator_headers: dict[str, str],
                                               platform: Platform) -> None:
    entries = [{"Source": "s", "DetailType": "d", "Detail": "{}"}] * 11
    resp = client.post("/events", json={"Entries": entries}, headers=operator_headers)
    assert resp.status_code == 400
    assert "less than or equal to 10" in resp.json()["detail"]
    assert platform.bus.recent() == []


def test_rules_crud_is_audited(client: TestClient, operator_headers: dict[str, str], viewer_headers: dict[str, str],
                               platform: Platform) -> None:
    rule = {"description": "d", "pattern": {"source": ["x"]}, "targets": [{"id": "log", "type": "log"}]}
    resp = client.put("/rules/r1", json=rule, headers=operator_headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["revision"] == 1
    assert client.get("/rules/r1", headers=viewer_headers).json()["state"] == "ENABLED"
    assert client.post("/rules/r1/disable", headers=operator_headers).json()["state"] == "DISABLED"
    bad = client.put("/rules/r2", json={"pattern": {"source": []}, "targets": []}, headers=operator_headers)
    assert bad.status_code == 400 and "$.source" in bad.json()["detail"]
    bad_cfg = client.put("/rules/r3", json={"pattern": {"source": ["x"]},
                                            "targets": [{"id": "l", "type": "log", "config": {"level": "loud"}}]},
                         headers=operator_headers)
    assert bad_cfg.status_code == 400 and "targets[0].config" in bad_cfg.json()["detail"]
    too_many = {"pattern": {"source": ["x"]}, "targets": [{"id": f"t{i}", "type": "log"} for i in range(6)]}
    assert client.put("/rules/r4", json=too_many, headers=operator_headers).status_code == 400
    assert client.delete("/rules/r1", headers=operator_headers).status_code == 200
    assert client.get("/rules/r1", headers=viewer_headers).status_code == 404
    actions = [r["action"] for r in platform.audit.query(resource="rule/r1")]
    assert sorted(actions) == ["events.rule.delete", "events.rule.disable", "events.rule.put"]


def test_rule_secrets_are_masked_in_api_and_audit(client: TestClient, operator_headers: dict[str, str],
                                                  platform: Platform) -> None:
    rule = {"pattern": {"source": ["x"]}, "targets": [
        {"id": "hook", "type": "webhook", "config": {"url": "https://h.example/SECRET-PATH", "secret": "k3y-S3CRET"}}]}
    assert client.put("/rules/hooked", json=rule, headers=operator_headers).status_code == 200
    shown = client.get("/rules/hooked", headers=operator_headers).json()
    assert shown["targets"][0]["config"] == {"url": "***", "secret": "***"}
    audit = json.dumps(platform.audit.query(resource="rule/hooked"), default=str)
    assert "SECRET-PATH" not in audit and "k3y-S3CRET" not in audit


def test_put_of_a_fetched_rule_keeps_masked_secrets(client: TestClient, operator_headers: dict[str, str],
                                                     platform: Platform) -> None:
    """GET shows secrets as ``***``; PUT of that document (edited) keeps the stored secrets."""
    rule = {"pattern": {"source": ["x"]}, "targets": [
        {"id": "hook", "type": "webhook", "config": {"url": "https://h.example/SECRET-PATH", "secret": "k3y-S3CRET",
                                                     "headers": {"Authorization": "Bearer T0KEN", "X-Team": "sec"}}}]}
    assert client.put("/rules/hooked", json=rule, headers=operator_headers).status_code == 200
    fetched = client.get("/rules/hooked", headers=operator_headers).json()
    assert fetched["targets"][0]["config"]["headers"] == {"Authorization": "***", "X-Team": "sec"}
    fetched["pattern"] = {"source": ["y"]}
    fetched["targets"][0]["config"]["secret"] = "n3w-S3CRET"  # a secret changed on purpose is taken as given
    for key in ("origin", "revision"):
        fetched.pop(key)
    resp = client.put("/rules/hooked", json=fetched, headers=operator_headers)
    assert resp.status_code == 200, resp.text
    stored = RuleStore(platform).get("hooked").rule
    assert stored.pattern == {"source": ["y"]}
    assert stored.targets[0].config == {"url": "https://h.example/SECRET-PATH", "secret": "n3w-S3CRET",
                                        "headers": {"Authorization": "Bearer T0KEN", "X-Team": "sec"}}
    # A masked value with no stored secret behind it (a new target id) is refused, naming the path.
    fetched["targets"].append({"id": "other", "type": "webhook", "config": {"url": "***"}})
    bad = client.put("/rules/hooked", json=fetched, headers=operator_headers)
    assert bad.status_code == 400 and "targets[1].config.url" in bad.text and "stored secret" in bad.text
    assert len(RuleStore(platform).get("hooked").rule.targets) == 1


def test_rule_store_put_keeps_masked_secrets(platform: Platform) -> None:
    """The same for rules put through the store (CLI ``rules put`` from a file)."""
    store = RuleStore(platform)
    store.put(Rule.model_validate({"name": "r", "pattern": {"source": ["x"]}, "targets": [
        {"id": "hook", "type": "webhook", "config": {"url": "https://h.example/S"}}]}), actor=SYSTEM)
    shown = store.get("r").as_dict()
    assert shown["targets"][0]["config"]["url"] == "***"
    store.put(Rule.model_validate({k: v for k, v in shown.items() if k not in ("origin", "revision")}), actor=SYSTEM)
    assert store.get("r").rule.targets[0].config["url"] == "https://h.example/S"
