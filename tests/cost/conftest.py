from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assetguard.core.settings import Settings


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A CliRunner whose ``assetguard`` commands use the test database."""
    monkeypatch.setenv("ASSETGUARD_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("ASSETGUARD_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ASSETGUARD_SECRET_KEY", "test-secret-key-0123456789abcdef")
    monkeypatch.delenv("ASSETGUARD_CONFIG", raising=False)
    monkeypatch.chdir(settings.data_dir.parent)
    yield CliRunner()


FOCUS_SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "focus" / "focus_sample.csv"
