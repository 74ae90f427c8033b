"""The offline contract: ``assetguard tags autotag --from DIR --dry-run --json``."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

from assetguard.core.settings import Settings
from tests.tagging.corpus import CALLS, record

CLI = str(Path(sys.executable).parent / "assetguard")


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ASSETGUARD_DATABASE_URL": settings.resolved_database_url,
                "ASSETGUARD_DATA_DIR": str(settings.data_dir),
                "ASSETGUARD_SECRET_KEY": "test-secret-key-0123456789abcdef"})
    env.pop("ASSETGUARD_CONFIG", None)
    return env


def test_dry_run_json_contract(settings: Settings, tmp_path: Path) -> None:
    logs = tmp_path / "AWSLogs"
    logs.mkdir()
    good = [record(s, n, q, r) for s, n, q, r, _ in CALLS[:5]]
    failed = record("ec2.amazonaws.com", "CreateVolume", {}, None, errorCode="Client.UnauthorizedOperation")
    describe = record("ec2.amazonaws.com", "DescribeVolumes", {}, None)
    with gzip.open(logs / "a.json.gz", "wt") as fh:
        json.dump({"Records": [*good, failed, describe, {"eventName": "Broken"}]}, fh)
    (logs / "b.json").write_text("{not json")
    env = _env(settings)
    subprocess.run([CLI, "params", "put", "/assetguard/tags/default/Owner", "ops"], env=env, check=True,
                   capture_output=True)
    proc = subprocess.run([CLI, "tags", "autotag", "--from", str(logs), "--dry-run", "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 7
    for line, (_s, name, _q, _r, arns) in zip(lines[:5], CALLS[:5], strict=True):
        assert list(line) == ["eventName", "arns", "tags"]
        assert line["eventName"] == name and line["arns"] == arns
        assert line["tags"]["Owner"] == "ops" and line["tags"]["CreatedBy"] == "alice"
    assert lines[5] == {"eventName": "CreateVolume", "skipped": "failed call (Client.UnauthorizedOperation)"}
    assert lines[6] == {"eventName": "DescribeVolumes", "skipped": "not a supported create call"}
    assert "Records[7]" in proc.stderr and "lacks" in proc.stderr
    assert "b.json:1:2" in proc.stderr
    assert "2 malformed" in proc.stderr
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr


def test_missing_source_is_a_clear_error(settings: Settings) -> None:
    proc = subprocess.run([CLI, "tags", "autotag", "--dry-run"], env=_env(settings), capture_output=True, text=True)
    assert proc.returncode == 2
    assert "give --from" in proc.stderr and "Traceback" not in proc.stderr
