"""Bearer-token use records "last used" (shown by ``token list``), at most one write per token a minute."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from assetguard.auth.principal import SYSTEM
from assetguard.auth.tables import api_tokens
from assetguard.core.clock import utcnow
from assetguard.runtime.platform import Platform


def _token_writes(platform: Platform) -> list[str]:
    """The last-used UPDATEs the platform sends from now on (not the test's own)."""
    writes: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS") and "IS NULL OR" in statement.upper():
            writes.append(statement)

    event.listen(platform.db.engine, "before_cursor_execute", seen)
    return writes


def test_bearer_use_records_last_used_once_a_minute(client: TestClient, platform: Platform) -> None:
    info, token = platform.tokens.create("ci-bot", "viewer", actor=SYSTEM)
    assert platform.tokens.get(info.id).last_used_at is None
    writes = _token_writes(platform)
    for _ in range(20):
        assert client.get("/rules", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    first = platform.tokens.get(info.id).last_used_at
    assert first is not None and abs((utcnow() - first).total_seconds()) < 60
    assert len(writes) == 1, writes  # 20 requests, one write

    # A minute later the next use records again.
    with platform.db.begin() as conn:
        conn.execute(update(api_tokens).where(api_tokens.c.id == info.id).values(
            last_used_at=first - timedelta(minutes=2)))
    assert client.get("/rules", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    later = platform.tokens.get(info.id).last_used_at
    assert later is not None and later > first - timedelta(minutes=2)
    assert len(writes) == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_token_list_shows_last_used(client: TestClient, platform: Platform, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assetguard.cli.main import app

    _info, token = platform.tokens.create("used", "viewer", actor=SYSTEM)
    platform.tokens.create("unused", "viewer", actor=SYSTEM)
    assert client.get("/rules", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    (tmp_path / "none.yaml").write_text("{}\n")
    env = {"ASSETGUARD_DATA_DIR": str(platform.settings.data_dir),
           "ASSETGUARD_DATABASE_URL": str(platform.settings.database_url),
           "ASSETGUARD_SECRET_KEY": "test-secret-key-0123456789abcdef", "ASSETGUARD_TELEMETRY__ENABLED": "false",
           "ASSETGUARD_CONFIG": str(tmp_path / "none.yaml")}
    result = CliRunner().invoke(app, ["token", "list", "--json"], env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    shown = {t["name"]: t for t in json.loads(result.output)}
    assert shown["used"]["last_used_at"] and shown["unused"]["last_used_at"] is None
    table = CliRunner().invoke(app, ["token", "list"], env=env, terminal_width=200)
    rows = {name: next(line for line in table.output.splitlines() if f"│ {name} " in line) for name in shown}
    year = str(utcnow().year)
    assert rows["used"].count(year) == 2 and rows["unused"].count(year) == 1  # created and last used; created only
