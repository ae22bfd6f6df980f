"""The SQL unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from desk.adapters.store.engine import Database
from desk.adapters.store.repos.agents import SqlAgentRepository
from desk.adapters.store.repos.approvals import SqlApprovalRepository, SqlIdempotencyRepository
from desk.adapters.store.repos.audit import SqlAuditRepository
from desk.adapters.store.repos.credentials import SqlCredentialRepository
from desk.adapters.store.repos.execution import SqlExecutionRepository, SqlPaperLedger
from desk.adapters.store.repos.runs import SqlRunRepository
from desk.adapters.store.repos.trading import SqlInstrumentRepository, SqlProposalRepository
from desk.adapters.store.repos.users import (
    SqlLinkCodeRepository,
    SqlTokenRepository,
    SqlUserRepository,
)
from desk.domain.errors import ConcurrencyError
from desk.services.ports.events import DomainEvent

# Postgres serialization failure / deadlock, DuckDB write-write conflict: safe to retry.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}


def is_conflict(error: BaseException) -> bool:
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    orig = error.orig
    if getattr(orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    text = str(orig)
    return "Conflict on" in text or "write-write conflict" in text


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
    agents: SqlAgentRepository
    approvals: SqlApprovalRepository
    idempotency: SqlIdempotencyRepository
    runs: SqlRunRepository
    instruments: SqlInstrumentRepository
    proposals: SqlProposalRepository
    executions: SqlExecutionRepository
    ledger: SqlPaperLedger

    def __init__(self, db: Database, *, write: bool = True) -> None:
        self._db = db
        self._write = write
        self._conn: Connection | None = None
        self._locked = False
        self._auth_written = False
        self.pending_events: list[DomainEvent] = []

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._conn

    def __enter__(self) -> Self:
        if self._write and self._db.is_duckdb:
            self._db.write_lock.acquire()
            self._locked = True
        cache = self._db.auth_cache
        generation = cache.generation if cache is not None else 0  # before the transaction
        self._auth_written = False
        try:
            self._conn = self._db.engine.connect()
            self._conn.begin()
        except BaseException:
            self._release()
            raise
        conn = self._conn
        self.users = SqlUserRepository(conn, on_write=self._auth_write)
        self.tokens = SqlTokenRepository(
            conn, cache=cache, generation=generation, on_write=self._auth_write
        )
        self.link_codes = SqlLinkCodeRepository(conn)
        self.credentials = SqlCredentialRepository(conn)
        self.audit = SqlAuditRepository(conn, lock_rows=self._db.is_postgres)
        self.agents = SqlAgentRepository(conn)
        self.approvals = SqlApprovalRepository(conn)
        self.idempotency = SqlIdempotencyRepository(conn)
        self.runs = SqlRunRepository(conn)
        self.instruments = SqlInstrumentRepository(conn)
        self.proposals = SqlProposalRepository(conn)
        self.executions = SqlExecutionRepository(conn)
        self.ledger = SqlPaperLedger(conn, lock_rows=self._db.is_postgres)
        self.pending_events = []
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
        if exc is not None and is_conflict(exc):
            raise ConcurrencyError("a concurrent update won; retry") from exc

    def _release(self) -> None:
        if self._locked:
            self._locked = False
            self._db.write_lock.release()

    def emit(self, event: DomainEvent) -> None:
        """Queue an event to publish once this unit of work has committed."""
        self.pending_events.append(event)

    def _auth_write(self) -> None:
        self._auth_written = True

    def commit(self) -> None:
        try:
            self.connection.commit()
        except sa_exc.DBAPIError as error:
            if is_conflict(error):
                raise ConcurrencyError("a concurrent update won; retry") from error
            raise
        if self._auth_written and self._db.auth_cache is not None:
            self._db.auth_cache.invalidate()  # after the commit: see auth_cache
        self._auth_written = False

    def rollback(self) -> None:
        self.connection.rollback()
