"""``assetguard rules`` and ``assetguard events put|dlq|worker`` as subprocesses on a SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ASSETGUARD_DATA_DIR": str(tmp_path / ".ag"),
            "ASSETGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'ag.db'}",
            "ASSETGUARD_SECRET_KEY": "test-secret-key-0123456789abcdef"}


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def ag(env: dict[str, str], *args: str) -> Result:
    """Run the CLI in-process (fast); errors are turned into exit 2 exactly as ``main()`` does."""
    from typer.testing import CliRunner

    from assetguard.cli.main import app
    from assetguard.core.errors import AssetGuardError

    result = CliRunner().invoke(app, list(args), env=env)
    if isinstance(result.exception, AssetGuardError):
        return Result(2, result.stdout, f"error: {result.exception}")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr if result.stderr_bytes is not None else "")


def ag_subprocess(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    code = "from assetguard.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=env["ASSETGUARD_DATA_DIR"].rsplit("/", 1)[0])


def test_rules_lifecycle_and_events(env: dict[str, str], tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("""
- name: to-log
  description: everything from my.app
  pattern:
    source: [my.app]
  targets:
    - id: log
      type: log
- name: broken-target
  pattern:
    source: [my.app]
  targets:
    - id: x
      type: not-installed
""")
    r = ag(env, "rules", "put", str(rules))
    assert r.returncode == 0, r.stderr
    listed = json.loads(ag(env, "rules", "list", "--json").stdout)
    assert {x["name"] for x in listed} >= {"to-log", "broken-target"}
    assert ag(env, "rules", "disable", "to-log").returncode == 0
    assert {x["name"]: x["state"] for x in json.loads(ag(env, "rules", "list", "--json").stdout)}["to-log"] == "DISABLED"
    assert ag(env, "rules", "enable", "to-log").returncode == 0
    put = ag(env, "events", "put", "--source", "my.app", "--detail-type", "Thing", "--detail", '{"k": 1}')
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["FailedEntryCount"] == 0
    bad = ag(env, "events", "put", "--source", "my.app", "--detail-type", "Thing", "--detail", "[1]")
    assert bad.returncode == 1 and "MalformedDetail" in bad.stdout
    worker = ag(env, "worker", "--once")
    assert worker.returncode == 0, worker.stderr
    dlq = json.loads(ag(env, "events", "dlq", "list", "--json").stdout)
    assert [(d["rule"], d["error_code"]) for d in dlq] == [("broken-target", "UnknownTarget")]
    redrive = ag(env, "events", "dlq", "redrive", str(dlq[0]["id"]))
    assert redrive.returncode == 0 and "redriven 1" in redrive.stdout
    assert ag(env, "rules", "delete", "broken-target").returncode == 0
    missing = ag(env, "rules", "delete", "broken-target")
    assert missing.returncode == 2 and "no rule named" in missing.stderr and "Traceback" not in missing.stderr


def test_rules_put_rejects_bad_file_naming_line(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: r\npattern:\n  source: aws.ec2\ntargets: []\n")
    r = ag_subprocess(env, "rules", "put", str(bad))
    assert r.returncode == 2
    assert "bad.yaml:2" in r.stderr and "$.source" in r.stderr
    assert "Traceback" not in r.stderr
