"""Shared CLI plumbing: the global ``--config`` option and lazy platform creation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console

from assetguard.core.settings import Settings, load_settings
from assetguard.runtime.platform import Platform

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    config: Path | None = None
    _settings: Settings | None = None
    _platform: Platform | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    def platform(self) -> Platform:
        if self._platform is None:
            self._platform = Platform.create(self.settings())
        return self._platform

    def close(self) -> None:
        if self._platform is not None:
            self._platform.close()


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def platform(ctx: typer.Context) -> Platform:
    return state(ctx).platform()
