"""Inputs outside the schema are 4xx with a message; a provider the platform has no credentials for is a 409
naming the setting, a provider that fails a documented 502; never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform


@pytest.mark.parametrize("path", ["/findings?offset=9223372036854775808", "/vulns/advisories?offset=9223372036854775808",
                                  "/audit?offset=9223372036854775808", "/inventory/assets?offset=-1",
                                  "/audit?until=1", "/audit?since=true", "/cost/overview?start=1",
                                  "/cost/budgets/monthly-total/status?asOf=20240101"])
def test_out_of_schema_query_is_422(client: Any, admin_headers: dict[str, str], path: str) -> None:
    answer = client.get(path, headers=admin_headers)
    assert answer.status_code == 422, answer.text


def test_bad_filters_and_bodies_are_400_or_422(client: Any, admin_headers: dict[str, str]) -> None:
    bogus = client.post("/findings/insights/saved", headers=admin_headers,
                        json={"Name": "x", "Filters": {"bogus": [1]}, "GroupByAttribute": "ResourceType"})
    assert bogus.status_code == 400 and "unknown filter field 'bogus'" in bogus.json()["detail"]
    shape = client.post("/findings/insights/saved", headers=admin_headers,
                        json={"Name": "x", "Filters": {"SeverityLabel": [1]}, "GroupByAttribute": "ResourceType"})
    assert shape.status_code == 400 and "Filters.SeverityLabel[0]" in shape.json()["detail"]
    text = client.put("/cost/budgets", headers={**admin_headers, "Content-Type": "text/plain"}, content=b"abc")
    assert text.status_code == 400, text.text
    strict = client.post("/tags/autotag", headers=admin_headers, json={"records": [{}], "dry_run": "yes"})
    assert strict.status_code == 422, strict.text
    nan = client.put("/cost/budgets", headers=admin_headers, json={"Budget": {
        "BudgetName": "n", "BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": "NaN", "Unit": "USD"}}})
    assert nan.status_code == 400 and "finite" in nan.json()["detail"]


def test_405_allows_every_documented_method(client: Any) -> None:
    answer = client.patch("/cost/budgets")
    assert answer.status_code == 405 and answer.headers["allow"] == "GET, PUT"
    literal = client.patch("/cost/budgets/evaluate")  # also fits /cost/budgets/{name}; the literal path wins
    assert literal.headers["allow"] == "POST"


def test_every_operation_documents_its_error_statuses(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    backfill = paths["/tags/backfill"]["post"]["responses"]
    assert {"401", "403", "429", "400", "404", "409", "422", "502"} <= set(backfill)
    assert {"401", "403", "400", "404", "422"} <= set(paths["/findings/item"]["get"]["responses"])
    assert set(paths["/healthz"]["get"]["responses"]) == {"200"}


def test_backfill_without_aws_credentials_is_a_409_naming_the_setting(client: Any, admin_headers: dict[str, str], platform: Platform,
                                                    monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    arn = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1"
    InventoryService(platform).apply_collection("aws", [{
        "resourceType": "AWS::EC2::Volume", "resourceId": "vol-1", "arn": arn, "awsRegion": "eu-west-1",
        "accountId": "123456789012", "tags": {}, "configuration": {}}])
    answer = client.post("/tags/backfill?dry_run=true", headers=admin_headers)
    assert answer.status_code == 409, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith("CloudTrail LookupEvents for vol-1: no AWS credentials: set aws.profile"), detail
    assert "\n" not in detail


@pytest.mark.parametrize(("body", "where"), [(b"\xff\xfe\x00\x80garbage", "byte 0xff at offset 0"),
                                             (b'{"Entries": ["\xe9"]}', "byte 0xe9 at offset 14")])
def test_a_non_utf8_json_body_is_a_400_naming_the_byte(client: Any, admin_headers: dict[str, str], body: bytes,
                                                        where: str) -> None:
    answer = client.post("/events", content=body, headers={**admin_headers, "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith(f"request body: not UTF-8 JSON: {where}"), answer.text


@pytest.mark.parametrize("source", ["http://[x/advisories.zip", "https://osv.example:99999/all.zip",
                                    "https://osv.example:x/all.zip"])
def test_a_malformed_import_url_is_a_400_naming_source(client: Any, admin_headers: dict[str, str],
                                                       source: str) -> None:
    answer = client.post("/vulns/import", json={"source": source}, headers=admin_headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith("source: ") and "is not an http(s) URL" in answer.json()["detail"]
