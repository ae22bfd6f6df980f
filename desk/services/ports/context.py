"""What every service function receives: the ports of one running desk."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from desk.domain.clock import Clock, IdGen
from desk.services.ports.audit_export import AuditWriter
from desk.services.ports.crypto import Cipher
from desk.services.ports.events import EventPublisher
from desk.services.ports.store import UnitOfWork

if TYPE_CHECKING:
    from desk.services.refusals import RefusalSampler


class Context(Protocol):
    """Built once by :func:`desk.bootstrap.bootstrap`; tests build one with fakes."""

    @property
    def clock(self) -> Clock: ...

    @property
    def ids(self) -> IdGen: ...

    @property
    def cipher(self) -> Cipher: ...

    @property
    def events(self) -> EventPublisher: ...

    @property
    def audit_writer(self) -> AuditWriter:
        """Writes exported audit rows to a file (Parquet or JSON lines)."""
        ...

    @property
    def refusals(self) -> RefusalSampler:
        """Which refused unauthenticated calls are audited (the rest are counted)."""
        ...

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """A fresh unit of work; use it as a context manager and call ``commit()``."""
        ...
