"""The systemd units under deploy/systemd start real assetguard commands with options that exist,
each process with its own data directory, restarted on exit, and a stop timeout longer than
assetguard's own hard stop."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from assetguard.cli.main import app
from assetguard.runtime.shutdown import HARD_STOP_SECONDS

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
PROGRAM = "/opt/assetguard/.venv/bin/assetguard"
LONG_RUNNING = ["assetguard-api.service", "assetguard-worker@.service", "assetguard-scheduler.service",
                "assetguard-waf-proxy.service"]


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string((UNITS / name).read_text().replace("%i", "1"))
    return parser


def check_command(argv: list[str]) -> str:
    """Resolve ``argv`` against the real CLI and parse its options; returns the command path."""
    command: Any = typer.main.get_command(app)
    path = []
    while hasattr(command, "get_command") and argv and not argv[0].startswith("-"):
        sub = command.get_command(command.context_class(command), argv[0])
        assert sub is not None, f"no command {' '.join([*path, argv[0]])}"
        path.append(argv.pop(0))
        command = sub
    command.make_context(" ".join(path), argv)  # raises on an unknown option or a bad value
    return " ".join(path)


@pytest.mark.parametrize("name", [*LONG_RUNNING, "assetguard-migrate.service"])
def test_unit_runs_a_real_command(name: str) -> None:
    service = unit(name)["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == PROGRAM
    path = check_command(argv[1:])
    assert path == {"assetguard-api.service": "api", "assetguard-worker@.service": "worker",
                    "assetguard-scheduler.service": "scheduler", "assetguard-waf-proxy.service": "waf proxy",
                    "assetguard-migrate.service": "db upgrade"}[name]
    assert service["EnvironmentFile"] == "/etc/assetguard/assetguard.env"
    data_dir = dict(e.split("=", 1) for e in shlex.split(service["Environment"]))["ASSETGUARD_DATA_DIR"]
    assert data_dir == "/var/lib/" + service["StateDirectory"]


def test_long_running_units_restart_and_outlast_the_hard_stop() -> None:
    data_dirs = set()
    for name in LONG_RUNNING:
        service = unit(name)["Service"]
        assert service["Restart"] == "always", name
        assert service["KillSignal"] == "SIGTERM", name
        assert float(service["TimeoutStopSec"]) > HARD_STOP_SECONDS, name
        assert "assetguard-migrate.service" in unit(name)["Unit"]["After"], name
        data_dirs.add(service["StateDirectory"])
    assert len(data_dirs) == len(LONG_RUNNING)  # no two processes share a data directory


def test_environment_file_names_the_shared_settings() -> None:
    keys = {line.split("=", 1)[0] for line in (UNITS / "assetguard.env").read_text().splitlines()
            if line and not line.startswith("#")}
    assert {"ASSETGUARD_DATABASE_URL", "ASSETGUARD_SECRET_KEY", "ASSETGUARD_BUS_URL"} <= keys
