"""``PUT /compliance/remediation/configs/{rule}`` takes no server path: the file lists of the
``linux-file-permissions`` runbook may only keep their stored value; other parameters are fine."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assetguard.auth.principal import SYSTEM
from assetguard.compliance.remediation import RemediationService
from assetguard.runtime.platform import Platform

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
RULE = "linux-shadow-file-permissions"
URL = f"/compliance/remediation/configs/{RULE}"


@pytest.mark.parametrize("parameters", [{"modes": {"/etc/sudoers": "000"}}, {"remove_world_write": ["/srv/app"]},
                                        {"remove_setid": ["/usr/bin/passwd"]}], ids=lambda p: next(iter(p)))
def test_api_refuses_host_paths_in_runbook_parameters(client: TestClient, platform: Platform,
                                                      operator_headers: dict[str, str],
                                                      parameters: dict[str, object]) -> None:
    resp = client.put(URL, headers=operator_headers, json={"runbook": "linux-file-permissions",
                                                           "parameters": parameters})
    assert resp.status_code == 400, resp.text
    assert f"parameters.{next(iter(parameters))}: names files on the server" in resp.json()["detail"]
    assert all(c.rule_id != RULE or not c.parameters for c in RemediationService(platform).configs())


def test_api_keeps_a_stored_path_list_and_takes_other_parameters(client: TestClient, platform: Platform,
                                                                 operator_headers: dict[str, str]) -> None:
    RemediationService(platform).configure(RULE, actor=SYSTEM, runbook="linux-file-permissions",
                                           parameters={"modes": {"/etc/shadow": "400"}})  # the CLI may
    resp = client.put(URL, headers=operator_headers, json={
        "parameters": {"modes": {"/etc/shadow": "400"}, "owner_uid": 0}, "approval": "manual"})
    assert resp.status_code == 200, resp.text
    resp = client.put(URL, headers=operator_headers, json={"parameters": {"modes": {"/etc/shadow": "000"}}})
    assert resp.status_code == 400 and "parameters.modes" in resp.json()["detail"]
    assert RemediationService(platform).config(RULE).parameters["modes"] == {"/etc/shadow": "400"}
