"""Every ``--help`` reads as a user expects: classic metavars, no Python type placeholders, and each
group's description names every command it holds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from assetguard.cli.main import app

ROOT = typer.main.get_command(app)


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


COMMANDS = list(_walk(ROOT))
GROUPS = [(path, command) for path, command in COMMANDS if getattr(command, "commands", None) and path]


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=lambda p: " ".join(p) or "assetguard")
def test_help_has_no_type_placeholders(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], prog_name="assetguard")
    assert result.exit_code == 0, result.output
    assert "Usage: assetguard" in result.output
    placeholders = re.findall(r"<(?:bool|str|int|float|path|datetime|file|directory|uuid|list\[[^\]]*\])>", result.output)
    assert not placeholders, f"{' '.join(path)} --help shows {placeholders}"


@pytest.mark.parametrize("path", [path for path, _ in GROUPS], ids=lambda p: " ".join(p))
def test_group_help_names_every_command(path: tuple[str, ...]) -> None:
    group = dict(COMMANDS)[path]
    text = group.help or ""
    missing = [name for name in group.commands
               if not re.search(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text)]
    assert not missing, f"'assetguard {' '.join(path)} --help' does not describe: {', '.join(missing)}"
