"""Registers DuckDB with Alembic (duckdb-engine ships no Alembic implementation).

Importing this module is enough: Alembic finds implementations by ``__dialect__``.
"""

from __future__ import annotations

from alembic.ddl.impl import DefaultImpl


class DuckDBImpl(DefaultImpl):
    __dialect__ = "duckdb"
    transactional_ddl = True
