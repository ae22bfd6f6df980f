"""SQL ports used outside a unit of work: each call in its own committed transaction.

The executor and the paper broker hold their repository and books for their whole life;
these proxies give every call a fresh transaction (under the write lock on DuckDB, as the
unit of work does), so each state change is durable the moment the call returns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy.engine import Connection

from desk.adapters.store.engine import Database
from desk.adapters.store.repos.execution import SqlExecutionRepository, SqlPaperLedger
from desk.services.ports.execution import ExecutionRepository, PaperLedger


class PerCall:
    def __init__(self, db: Database, build: Callable[[Connection], object]) -> None:
        self._db = db
        self._build = build

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            lock = self._db.write_lock if self._db.is_duckdb else contextlib.nullcontext()
            with lock, self._db.engine.begin() as conn:
                return getattr(self._build(conn), name)(*args, **kwargs)

        return call


def execution_repository(db: Database) -> ExecutionRepository:
    return cast(ExecutionRepository, PerCall(db, SqlExecutionRepository))


def paper_ledger(db: Database) -> PaperLedger:
    return cast(
        PaperLedger, PerCall(db, lambda conn: SqlPaperLedger(conn, lock_rows=db.is_postgres))
    )
