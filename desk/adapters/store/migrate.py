"""Applying and checking schema migrations (Alembic, driven with a live connection).

Checking is cheap and does not import Alembic (≈ 0.3 s of imports, paid by every notebook
kernel, flow run and CLI call that opens the store): the revision files are named
``NNNN_<slug>.py`` with ``revision = "NNNN"`` in one linear chain, so the head is the highest
number, and the current revision is one row of ``alembic_version``. A test holds both facts
against Alembic's own view. Applying and reverting migrations imports Alembic.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from desk.adapters.store.engine import Database
from desk.domain.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def _config() -> Config:
    from alembic.config import Config

    import desk.adapters.store.alembic_duckdb  # noqa: F401  (registers the DuckDB dialect)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@cache
def known_revisions() -> tuple[str, ...]:
    """Every revision this desk ships, oldest first (from the revision file names)."""
    found = (_REVISION_FILE.match(p.name) for p in (MIGRATIONS / "versions").iterdir())
    return tuple(sorted(m.group(1) for m in found if m))


def head_revision() -> str:
    return known_revisions()[-1]


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table(VERSION_TABLE):
            return None
        version = sa.table(VERSION_TABLE, sa.column("version_num"))
        rows = conn.execute(sa.select(version.c.version_num)).scalars().all()
    if len(rows) > 1:
        raise StoreError(f"the database has several migration heads {sorted(rows)}")
    return rows[0] if rows else None


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision()


def upgrade(db: Database, target: str = "head") -> tuple[str | None, str]:
    """Apply pending migrations; returns (revision before, revision after)."""
    before = current_revision(db)
    if target == "head" and before == head_revision():
        return before, head_revision()
    from alembic import command

    if before is not None and before not in known_revisions():
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
    from alembic import command

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
