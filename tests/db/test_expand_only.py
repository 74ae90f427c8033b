"""Migrations only expand the schema (see the rule in src/assetguard/db/alembic/env.py): the
previous release must keep working on a database the new release has migrated.

Each migration's ``upgrade()`` is read as Python (not run) for operations that break the
previous release: dropping or renaming a table, column or index it uses, altering a column, or
adding a NOT NULL column without a server default. A contract step that ships deliberately, one
release after its expand step, is listed in CONTRACT with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assetguard.db.migrate import migration_dirs

# revision -> why it is safe (the release before it no longer uses what it removes)
CONTRACT: dict[str, str] = {}

BREAKING_CALLS = {"drop_table", "drop_column", "drop_constraint", "rename_table", "alter_column"}


def migrations() -> list[Path]:
    return sorted(p for d in migration_dirs() for p in d.glob("*.py"))


def breaking_operations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
    assert upgrade is not None, f"{path.name} has no upgrade()"
    found: list[tuple[int, str]] = []
    for node in ast.walk(upgrade):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        if name in BREAKING_CALLS:
            found.append((node.lineno, f"{path.name}:{node.lineno} {name}"))
        elif name == "add_column":
            column = next((a for a in node.args if isinstance(a, ast.Call)), None)
            keywords = {k.arg: k.value for k in (column.keywords if column is not None else [])}
            not_null = isinstance(keywords.get("nullable"), ast.Constant) and keywords["nullable"].value is False
            if not_null and "server_default" not in keywords:
                found.append((node.lineno, f"{path.name}:{node.lineno} add_column NOT NULL without server_default"))
    return [text for _line, text in sorted(found)]


def revision_of(path: Path) -> str:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "revision" for t in node.targets):
            assert isinstance(node.value, ast.Constant)
            return str(node.value.value)
    raise AssertionError(f"{path.name} names no revision")


@pytest.mark.parametrize("path", migrations(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_migration_only_expands(path: Path) -> None:
    if revision_of(path) in CONTRACT:
        return
    assert breaking_operations(path) == [], (
        "this migration would break the previous release during a rolling upgrade; expand now and "
        "contract one release later (or list the revision in CONTRACT with the reason)")


def test_the_check_finds_a_breaking_migration(tmp_path: Path) -> None:
    bad = tmp_path / "0009_bad.py"
    bad.write_text('revision = "x_0009"\n'
                   "def upgrade():\n"
                   "    with op.batch_alter_table('t') as batch:\n"
                   "        batch.drop_column('old')\n"
                   "        batch.add_column(sa.Column('new', sa.String(8), nullable=False))\n"
                   "    op.add_column('t', sa.Column('ok', sa.String(8), nullable=False, server_default='x'))\n"
                   "    op.rename_table('t', 'u')\n")
    assert breaking_operations(bad) == ["0009_bad.py:4 drop_column",
                                        "0009_bad.py:5 add_column NOT NULL without server_default",
                                        "0009_bad.py:7 rename_table"]
