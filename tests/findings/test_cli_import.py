"""``assetguard findings import``: exit 0 only when every finding was imported; otherwise exit 1
naming the findings that failed (the imported ones stay imported)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.findings.factory import make_finding


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "none.yaml").write_text("{}\n")
    return {"ASSETGUARD_DATA_DIR": str(tmp_path / ".ag"), "ASSETGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'ag.db'}",
            "ASSETGUARD_SECRET_KEY": "test-secret-key-0123456789abcdef", "ASSETGUARD_TELEMETRY__ENABLED": "false",
            "ASSETGUARD_CONFIG": str(tmp_path / "none.yaml")}


def _import(env: dict[str, str], path: Path, *extra: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from assetguard.cli.main import app

    result = CliRunner().invoke(app, ["findings", "import", str(path), *extra], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_import_exits_1_naming_each_failed_finding(env: dict[str, str], tmp_path: Path, as_json: bool) -> None:
    bad_one, bad_two = make_finding("bad-one"), make_finding("bad-two")
    del bad_one["Title"]
    bad_two["Severity"] = {"Label": "APOCALYPTIC"}
    path = tmp_path / "findings.json"
    path.write_text(json.dumps([make_finding("good"), bad_one, bad_two]))
    code, out, err = _import(env, path, *(["--json"] if as_json else []))
    assert code == 1, (out, err)
    assert "error: 2 finding(s) not imported: bad-one, bad-two" in err
    if as_json:
        assert json.loads(out)["SuccessCount"] == 1


def test_import_of_only_good_findings_exits_0(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "findings.json"
    path.write_text(json.dumps([make_finding("good-1"), make_finding("good-2")]))
    code, out, err = _import(env, path)
    assert code == 0, (out, err)
    assert "not imported" not in err
