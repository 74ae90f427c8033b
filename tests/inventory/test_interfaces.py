"""CLI, API and scheduler job of the inventory."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from assetguard.core.clock import utcnow
from assetguard.core.settings import InventorySource
from assetguard.inventory.schedule import due_sources, run_due_collections
from assetguard.inventory.service import InventoryService
from assetguard.runtime.scheduler import jobs
from tests.cli.test_audit_cli import cli
from tests.inventory.rootfs import alpine_root, debian_root, write

HOST_ARN = "urn:assetguard:host:0123456789abcdef0123456789abcdef"


def test_cli_collect_list_show(platform: Any, tmp_path: Path) -> None:
    root = debian_root(tmp_path / "root")
    out = cli(platform, tmp_path, "inventory", "collect", "--source", "host", "--root", str(root), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert (summary["status"], summary["created"]) == ("COMPLETE", 1)

    out = cli(platform, tmp_path, "inventory", "list", "--type", "AssetGuard::Host::Linux", "--json")
    assert out.returncode == 0, out.stderr
    items = json.loads(out.stdout)
    assert [i["arn"] for i in items] == [HOST_ARN]
    assert items[0]["configuration"]["uid0Accounts"] == ["root", "toor"]

    write(root, "etc/hostname", "web-2\n")
    out = cli(platform, tmp_path, "inventory", "collect", "--source", "host", "--root", str(root))
    assert out.returncode == 0 and "1 updated" in out.stdout, out.stdout + out.stderr

    out = cli(platform, tmp_path, "inventory", "show", HOST_ARN, "--history", "--json")
    shown = json.loads(out.stdout)
    assert shown["configurationItem"]["resourceName"] == "web-2"
    assert [h["changeType"] for h in shown["history"]] == ["UPDATE", "CREATE"]
    assert shown["history"][0]["diff"]["changedProperties"]["resourceName"]["previousValue"] == "web-1"

    out = cli(platform, tmp_path, "inventory", "show", HOST_ARN, "--history")
    assert out.returncode == 0 and "UPDATE" in out.stdout and "web-1" in out.stdout

    out = cli(platform, tmp_path, "inventory", "list", "--tag", "env=prod", "--json")
    assert json.loads(out.stdout) == []

    out = cli(platform, tmp_path, "inventory", "show", "urn:nope")
    assert out.returncode == 2 and "no asset" in out.stderr and "Traceback" not in out.stderr
    out = cli(platform, tmp_path, "inventory", "collect", "--source", "sbom")
    assert out.returncode == 2 and "--path" in out.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  nope")
    out = cli(platform, tmp_path, "inventory", "collect", "--source", "sbom", "--path", str(bad))
    assert out.returncode == 2 and f"{bad}:2:3" in out.stderr and "Traceback" not in out.stderr

    out = cli(platform, tmp_path, "inventory", "permissions", "--source", "aws")
    actions = json.loads(out.stdout)["Statement"][0]["Action"]
    assert "s3:GetBucketPolicyStatus" in actions and "wafv2:GetWebACLForResource" in actions


def test_api(client: Any, platform: Any, operator_headers: dict[str, str], viewer_headers: dict[str, str],
             tmp_path: Path) -> None:
    from assetguard.core.settings import InventorySource

    root = alpine_root(tmp_path / "alpine")
    # The API takes no server path: the host root comes from settings.inventory.sources.
    platform.settings.inventory.sources = [InventorySource(source="host", options={"root": str(root)})]
    r = client.post("/inventory/collect", json={"source": "host"}, headers=viewer_headers)
    assert r.status_code == 403
    r = client.post("/inventory/collect", json={"source": "host", "options": {"scan_filesystem": False}},
                    headers=operator_headers)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1
    assets = client.get("/inventory/assets", params={"type": "AssetGuard::Host::Linux"}, headers=viewer_headers).json()
    assert len(assets) == 1 and assets[0]["resourceName"] == "alpine-box"
    arn = assets[0]["arn"]
    assert client.get("/inventory/asset", params={"arn": arn}, headers=viewer_headers).json()["arn"] == arn
    hist = client.get("/inventory/asset/history", params={"arn": arn}, headers=viewer_headers).json()
    assert [h["changeType"] for h in hist] == ["CREATE"]
    assert client.get("/inventory/asset", params={"arn": "urn:nope"}, headers=viewer_headers).status_code == 404
    assert client.get("/inventory/counts", headers=viewer_headers).json() == {"AssetGuard::Host::Linux": 1}
    runs = client.get("/inventory/collections", headers=viewer_headers).json()
    assert runs[0]["status"] == "COMPLETE" and runs[0]["actor"].startswith("test-operator")
    names = {c["name"] for c in client.get("/inventory/collectors", headers=viewer_headers).json()}
    assert names >= {"aws", "host", "sbom", "image", "snapshot"}
    # A path, profile or endpoint in the request is refused before anything is read or called, so the
    # answer says nothing about the server's files.
    for source, options in [("sbom", {"paths": [str(tmp_path / "x.json")]}), ("host", {"root": "/etc"}),
                            ("snapshot", {"paths": ["/etc/passwd"]}), ("image", {"paths": ["/"]}),
                            ("aws", {"endpoint_url": "http://169.254.169.254/"}), ("aws", {"profile": "x"})]:
        r = client.post("/inventory/collect", json={"source": source, "options": options}, headers=operator_headers)
        assert r.status_code == 400, (source, r.text)
        assert f"options.{next(iter(options))}: not accepted over the API" in r.json()["detail"]
        assert "does not exist" not in r.text and "/etc" not in r.json()["detail"]
    r = client.post("/inventory/collect", json={"source": "sbom"}, headers=operator_headers)
    assert r.status_code == 409 and "no sbom source is configured" in r.json()["detail"]
    assert client.get("/inventory/assets", headers={}).status_code == 401
    assert platform.audit.query(action="inventory.create")[0]["actor"].startswith("test-operator")


def test_scheduler_job_collects_due_sources(platform: Any, tmp_path: Path) -> None:
    assert "inventory.collect" in jobs.names()
    job = jobs.get("inventory.collect")()
    assert not job.run_at_start and job.interval_seconds == 60
    root = debian_root(tmp_path / "root")
    platform.settings.inventory.sources = [InventorySource(source="host", options={"root": str(root)})]
    assert [s.source for s in due_sources(platform)] == ["host"]
    done = job.func(platform)
    assert [s.created for s in done] == [1]
    assert due_sources(platform) == []  # just ran; next one in 15 minutes
    assert [s.source for s in due_sources(platform, utcnow() + timedelta(minutes=16))] == ["host"]
    assert run_due_collections(platform) == []
    runs = InventoryService(platform).collections()
    assert runs[0]["actor"] == "assetguard"
    # two sources of the same kind are two schedules; a manual run does not reset either
    sbom = tmp_path / "a.json"
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [],
                                "metadata": {"component": {"name": "a"}}}))
    sbom_b = tmp_path / "b.json"
    sbom_b.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [],
                                  "metadata": {"component": {"name": "b"}}}))
    platform.settings.inventory.sources = [InventorySource(source="sbom", options={"paths": [str(sbom)]}),
                                           InventorySource(source="sbom", options={"paths": [str(sbom_b)]})]
    assert [s.created for s in run_due_collections(platform)] == [1, 1]
    assert due_sources(platform) == []
    # a broken source is logged and skipped, not raised
    platform.settings.inventory.sources = [InventorySource(source="sbom", options={"paths": [str(tmp_path / "nope")]})]
    assert run_due_collections(platform) == []
