"""Migrations upgrade an empty database on both back-ends, and go down and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from desk.adapters.store import migrate
from desk.adapters.store.engine import open_database
from desk.domain.errors import StoreError


def test_revision_files_are_the_linear_chain_alembic_sees() -> None:
    """The cheap head check (file names) agrees with Alembic's script directory."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate._config())
    chain = [s.revision for s in reversed(list(scripts.walk_revisions()))]
    assert tuple(chain) == migrate.known_revisions()
    assert scripts.get_heads() == [migrate.head_revision()]
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_")


def test_upgrade_empty_duckdb_and_round_trip(tmp_path: Path) -> None:
    db = open_database(f"duckdb:///{tmp_path / 'fresh.duckdb'}")
    try:
        assert migrate.current_revision(db) is None
        with pytest.raises(StoreError, match="desk db upgrade"):
            migrate.require_current(db)
        assert migrate.upgrade(db) == (None, migrate.head_revision())
        assert migrate.is_current(db)
        migrate.downgrade(db, "base")
        assert migrate.current_revision(db) is None
        migrate.upgrade(db)
        assert set(sa.inspect(db.engine).get_table_names()) >= {
            "users",
            "audit_events",
            "audit_head",
        }
    finally:
        db.dispose()


@pytest.mark.postgres
def test_upgrade_empty_postgres_schema(postgres_url: str) -> None:
    db = open_database(postgres_url)
    try:
        assert migrate.is_current(db)
        migrate.downgrade(db, "base")
        assert migrate.current_revision(db) is None
        migrate.upgrade(db)
        assert migrate.is_current(db)
    finally:
        db.dispose()


def test_unknown_revision_is_refused(duckdb_url: str) -> None:
    db = open_database(duckdb_url)
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(StoreError, match="does not know"):
            migrate.upgrade(db)
    finally:
        db.dispose()


def test_corrupt_duckdb_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open") as info:
        open_database(f"duckdb:///{path}")
    assert "\n" not in info.value.message


def test_unreachable_postgres_is_one_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot open"):
        open_database("postgresql+psycopg://nobody:pw@127.0.0.1:1/none?connect_timeout=2")
