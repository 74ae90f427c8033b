"""Apply migrations: every domain has its own Alembic branch, all upgraded to ``heads``.

A domain listed in :data:`DOMAINS` with a ``migrations/`` folder contributes its branch and
its ``tables`` module (imported so that metadata comparisons see every table).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import assetguard

PACKAGE_DIR = Path(assetguard.__file__).parent

# Order matters only for readability; branches are independent.
DOMAINS = (
    "audit", "auth", "events", "inventory", "findings", "compliance", "cost",
    "tagging", "vulns", "waf", "telemetry", "demo",
)


def migration_dirs() -> list[Path]:
    return [PACKAGE_DIR / d / "migrations" for d in DOMAINS if (PACKAGE_DIR / d / "migrations").is_dir()]


def import_table_modules() -> None:
    """Import ``assetguard.<domain>.tables`` for every domain that has one."""
    for domain in DOMAINS:
        if (PACKAGE_DIR / domain / "tables.py").exists():
            importlib.import_module(f"assetguard.{domain}.tables")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "db" / "alembic"))
    cfg.set_main_option("version_locations", " ".join(str(p) for p in migration_dirs()))
    cfg.set_main_option("path_separator", "space")
    return cfg


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Bring the database to the newest revision of every branch."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def expected_heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def is_up_to_date(engine: Engine) -> bool:
    return current_heads(engine) == expected_heads()
