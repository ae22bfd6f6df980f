"""Alembic environment: always driven programmatically with a live connection."""

from __future__ import annotations

from alembic import context

import desk.adapters.store.alembic_duckdb  # noqa: F401  (registers the DuckDB dialect)
from desk.adapters.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `desk db upgrade`, which supplies a connection")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=False)
with context.begin_transaction():
    context.run_migrations()
