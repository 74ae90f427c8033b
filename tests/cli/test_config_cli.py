"""The real CLI in a subprocess: a bad assetguard.yaml is ONE line naming key and line, exit 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.test_up import BIN, clean_env


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], cwd=cwd, env=clean_env(**env), capture_output=True, text=True,
                          timeout=120)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("log_level: info\napi:\n  port: not-a-port\n", "assetguard.yaml:3 (api.port): Input should be a valid integer"),
    ("api:\n  port: 8080\nsmtp:\n  hots: mail\n", "assetguard.yaml:4 (smtp.hots): unknown key"),
    ("log_level: loud\n", "assetguard.yaml:1 (log_level): Input should be"),
    ("api:\n  port: 8080\n  host: [oops\n", "assetguard.yaml:4: invalid YAML"),
    ("secret_key: changeme\n", "assetguard.yaml:1 (secret_key)"),
], ids=["wrong-type", "unknown-key", "bad-choice", "yaml-syntax", "placeholder-secret"])
def test_bad_config_is_one_line_naming_key_and_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "assetguard.yaml").write_text(text)
    line = one_line_error(run(tmp_path, "config", "check"))
    assert line.startswith("error: ") and expected in line, line


@pytest.mark.parametrize("args", [["db", "upgrade"], ["up", "--port", "1"], ["token", "list"]])
def test_every_command_reports_the_bad_key_before_doing_anything(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "assetguard.yaml").write_text("api:\n  port: 8080\n  hots: x\n")
    line = one_line_error(run(tmp_path, *args))
    assert "assetguard.yaml:3 (api.hots): unknown key" in line
    assert not (tmp_path / ".assetguard").exists()  # nothing was started or written


def test_explicit_config_option_and_env_variable(tmp_path: Path) -> None:
    bad = tmp_path / "other.yaml"
    bad.write_text("\napi:\n  prot: 1\n")
    line = one_line_error(run(tmp_path, "--config", str(bad), "config", "check"))
    assert f"{bad}:3 (api.prot): unknown key" in line
    line = one_line_error(run(tmp_path, "config", "check", ASSETGUARD_CONFIG=str(bad)))
    assert f"{bad}:3 (api.prot): unknown key" in line
    line = one_line_error(run(tmp_path, "--config", str(tmp_path / "missing.yaml"), "config", "check"))
    assert "missing.yaml: config file does not exist" in line


def test_environment_overrides_file_and_bad_env_names_variable(tmp_path: Path) -> None:
    (tmp_path / "assetguard.yaml").write_text("api:\n  port: 9000\nsmtp:\n  password: from-file-secret\n")
    done = run(tmp_path, "config", "show", "--json", ASSETGUARD_API__PORT="9100")
    assert done.returncode == 0, done.stderr
    assert '"port": 9100' in done.stdout
    assert "from-file-secret" not in done.stdout and '"password": "***"' in done.stdout
    line = one_line_error(run(tmp_path, "config", "check", ASSETGUARD_API__PORT="x"))
    assert "environment ASSETGUARD_API__PORT" in line
    ok = run(tmp_path, "config", "check")
    assert ok.returncode == 0 and "configuration OK" in ok.stdout
