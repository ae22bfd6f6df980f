"""Running a unit of work atomically, with retries when a concurrent writer wins, and
idempotent commands (the ``Idempotency-Key``) on top of it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random

from desk.domain.audit import canonical_json
from desk.domain.errors import ConcurrencyError, ConflictError, ValidationError
from desk.domain.users import Actor
from desk.services.ports.context import Context
from desk.services.ports.store import UnitOfWork

T = TypeVar("T")
ATTEMPTS = 12
MAX_KEY_LENGTH = 128
KEY_LIFETIME = timedelta(days=7)  # how long an Idempotency-Key replays (then it is new again)


def atomically(ctx: Context, work: Callable[[UnitOfWork], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``work`` in a fresh unit of work and commit; on a lost race, run it again.

    ``work`` must read everything it decides on through the unit of work it is given, so a
    retry sees the winner's changes. Events queued with ``uow.emit`` are published once,
    after the successful commit.
    """
    for attempt in Retrying(
        retry=retry_if_exception_type(ConcurrencyError),
        stop=stop_after_attempt(attempts),
        wait=wait_random(0, 0.02),
        reraise=True,
    ):
        with attempt, ctx.uow() as uow:
            result = work(uow)
            uow.commit()
            events = list(uow.pending_events)
    for event in events:
        ctx.events.publish(event)
    return result


def fingerprint(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(dict(payload)).encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    value = key.strip()
    if not value or len(value) > MAX_KEY_LENGTH or not value.isprintable():
        raise ValidationError(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
            fields={"Idempotency-Key": "invalid"},
        )
    return value


def replayed(
    uow: UnitOfWork, actor: Actor, key: str | None, operation: str, request: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The stored result when this key was used before for the same request; else None.

    Reusing a key for a different request is a conflict, never a silent replay.
    """
    if key is None:
        return None
    found = uow.idempotency.get(_scope(actor), key)
    if found is None:
        return None
    stored_operation, stored_fingerprint, result = found
    if stored_operation != operation or stored_fingerprint != fingerprint(request):
        raise ConflictError(
            "this Idempotency-Key was already used for a different request "
            f"({stored_operation}); use a new key for a new request",
            fields={"Idempotency-Key": "reused"},
        )
    return result


def _scope(actor: Actor) -> str:
    return actor.user_id or "system"


@dataclass(frozen=True, slots=True)
class Once(Generic[T]):
    """How one kind of command is made idempotent.

    ``record`` turns its result into what is stored under the key (ids, small values);
    ``replay`` rebuilds the result from that (and the request) in a later unit of work.
    """

    operation: str
    record: Callable[[T], Mapping[str, Any]]
    replay: Callable[[UnitOfWork, dict[str, Any], Mapping[str, Any]], T]


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    value: T
    replayed: bool


def once(
    ctx: Context,
    actor: Actor,
    key: str | None,
    command: Once[T],
    *,
    request: Mapping[str, Any],
    work: Callable[[UnitOfWork], T],
) -> Done[T]:
    """``atomically(work)``, made idempotent by the caller's ``Idempotency-Key``.

    The key is stored (scoped to the actor) in the same transaction as the command's
    effect, so the two commit together or not at all. The same key with the same request
    (``request``: the command's inputs, fingerprinted) returns the first result, rebuilt
    by ``command.replay``, without running ``work`` again; the same key with another
    request is a 409. The key is inserted before ``work`` runs, so two concurrent first
    uses meet on the key's primary key before either does anything: the loser rolls back
    and, retried, replays the winner. Without a key this is ``atomically``.
    """
    checked = check_key(key)

    def guarded(uow: UnitOfWork) -> Done[T]:
        earlier = replayed(uow, actor, checked, command.operation, request)
        if earlier is not None:
            return Done(command.replay(uow, earlier, request), True)
        if checked is None:
            return Done(work(uow), False)
        uow.idempotency.put(
            _scope(actor), checked, operation=command.operation,
            fingerprint=fingerprint(request), result={}, now=ctx.clock.now(),
        )  # fmt: skip
        value = work(uow)
        stored = json.loads(canonical_json(dict(command.record(value))))
        uow.idempotency.finish(_scope(actor), checked, stored)
        return Done(value, False)

    return atomically(ctx, guarded)


def purge_idempotency_keys(ctx: Context, *, lifetime: timedelta = KEY_LIFETIME) -> int:
    """Forget the Idempotency-Keys older than ``lifetime`` (housekeeping); returns how many."""
    cutoff = ctx.clock.now() - lifetime

    def work(uow: UnitOfWork) -> int:
        return uow.idempotency.purge(cutoff)

    return atomically(ctx, work)
