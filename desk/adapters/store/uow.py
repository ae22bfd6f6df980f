"""The SQL unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Connection

from desk.adapters.store.engine import Database
from desk.adapters.store.repos.audit import SqlAuditRepository
from desk.adapters.store.repos.credentials import SqlCredentialRepository
from desk.adapters.store.repos.users import (
    SqlLinkCodeRepository,
    SqlTokenRepository,
    SqlUserRepository,
)


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()`` — leaving the block without commit rolls back.

    On DuckDB a writing unit of work holds the database's process-wide write lock for its
    whole transaction (DuckDB aborts concurrent updates of one row); on Postgres it relies
    on row locks and conditional updates.
    """

    users: SqlUserRepository
    tokens: SqlTokenRepository
    link_codes: SqlLinkCodeRepository
    credentials: SqlCredentialRepository
    audit: SqlAuditRepository

    def __init__(self, db: Database, *, write: bool = True) -> None:
        self._db = db
        self._write = write
        self._conn: Connection | None = None
        self._locked = False

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._conn

    def __enter__(self) -> Self:
        if self._write and self._db.is_duckdb:
            self._db.write_lock.acquire()
            self._locked = True
        try:
            self._conn = self._db.engine.connect()
            self._conn.begin()
        except BaseException:
            self._release()
            raise
        conn = self._conn
        self.users = SqlUserRepository(conn)
        self.tokens = SqlTokenRepository(conn)
        self.link_codes = SqlLinkCodeRepository(conn)
        self.credentials = SqlCredentialRepository(conn)
        self.audit = SqlAuditRepository(conn, lock_rows=self._db.is_postgres)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._conn is not None:
                if self._conn.in_transaction():
                    self._conn.rollback()
                self._conn.close()
        finally:
            self._conn = None
            self._release()

    def _release(self) -> None:
        if self._locked:
            self._locked = False
            self._db.write_lock.release()

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()
