"""Applying and checking schema migrations (Alembic, driven with a live connection)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import desk.adapters.store.alembic_duckdb  # noqa: F401  (registers the DuckDB dialect)
from desk.adapters.store.engine import Database
from desk.domain.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision()


def upgrade(db: Database, target: str = "head") -> tuple[str | None, str]:
    """Apply pending migrations; returns (revision before, revision after)."""
    before = current_revision(db)
    known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
    if before is not None and before not in known:
        raise StoreError(
            f"the database is at migration {before!r}, which this version of desk does not know "
            "(was it created by a newer desk?)"
        )
    cfg = _config()
    with db.write_lock, db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    return before, current_revision(db) or ""


def downgrade(db: Database, target: str) -> None:
    cfg = _config()
    with db.write_lock, db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)


def require_current(db: Database) -> None:
    current = current_revision(db)
    if current != head_revision():
        raise StoreError(
            f"the database schema is at {current or 'nothing'} but desk needs {head_revision()}: "
            "run `desk db upgrade`"
        )
