"""The sole wiring point: settings in, a running desk (store, keys, clock, ids, events) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from desk.adapters.audit_export import write_events
from desk.adapters.crypto import FernetCipher, load_or_create_keyfile, parse_keys
from desk.adapters.event_bus import InProcessEventBus
from desk.adapters.store import migrate as migrations
from desk.adapters.store.engine import Database, open_database
from desk.adapters.store.uow import SqlUnitOfWork
from desk.adapters.system import SystemClock, UuidIdGen
from desk.domain.clock import Clock, IdGen
from desk.services.ports.audit_export import AuditWriter
from desk.services.refusals import RefusalSampler
from desk.settings import DeskSettings


@dataclass
class Runtime:
    """Implements ``desk.services.ports.context.Context`` for the real adapters."""

    settings: DeskSettings
    db: Database
    clock: Clock
    ids: IdGen
    cipher: FernetCipher
    events: InProcessEventBus
    notices: list[str] = field(default_factory=list)
    audit_writer: AuditWriter = write_events
    refusals: RefusalSampler = field(default_factory=RefusalSampler)

    def uow(self, *, write: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db, write=write)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_cipher(settings: DeskSettings, notices: list[str]) -> FernetCipher:
    if settings.secret_keys is not None and settings.secret_keys.get_secret_value().strip():
        return FernetCipher(parse_keys(settings.secret_keys.get_secret_value()))
    keys, created = load_or_create_keyfile(settings.secret_key_file)
    if created:
        notices.append(
            f"generated a new encryption key in {settings.secret_key_file} "
            "(back it up; set DESK_SECRET_KEYS to manage keys yourself)"
        )
    return FernetCipher(keys)


def bootstrap(
    settings: DeskSettings,
    *,
    clock: Clock | None = None,
    ids: IdGen | None = None,
    upgrade: bool | Literal["if_empty"] = False,
    require_schema: bool = True,
) -> Runtime:
    """Open the store (migrating it when ``upgrade``) and load the keys.

    ``upgrade="if_empty"`` creates the schema of a brand-new store but leaves an existing
    one alone. Keys are checked before the store is touched, so bad key material writes
    nothing.
    """
    notices: list[str] = []
    cipher = load_cipher(settings, notices)
    db = open_database(settings.effective_database_url)
    try:
        if upgrade == "if_empty":
            upgrade = migrations.current_revision(db) is None
        if upgrade:
            before, after = migrations.upgrade(db)
            if before != after:
                notices.append(f"store migrated from {before or 'empty'} to {after}")
        elif require_schema:
            migrations.require_current(db)
    except BaseException:
        db.dispose()
        raise
    return Runtime(
        settings=settings,
        db=db,
        clock=clock or SystemClock(),
        ids=ids or UuidIdGen(),
        cipher=cipher,
        events=InProcessEventBus(),
        notices=notices,
    )
