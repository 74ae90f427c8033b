from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from assetguard.core.settings import Settings
from assetguard.demo.story import FOCUS_SAMPLE  # noqa: F401  (shipped with its licence; imported by the cost tests)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A CliRunner whose ``assetguard`` commands use the test database."""
    monkeypatch.setenv("ASSETGUARD_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("ASSETGUARD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ASSETGUARD_SECRET_KEY", "test-secret-key-0123456789abcdef")
    monkeypatch.delenv("ASSETGUARD_CONFIG", raising=False)
    monkeypatch.chdir(settings.data_dir.parent)
    yield CliRunner()

