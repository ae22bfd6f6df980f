"""Running a unit of work atomically, with retries when a concurrent writer wins."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random

from desk.domain.audit import canonical_json
from desk.domain.errors import ConcurrencyError, ConflictError, ValidationError
from desk.domain.users import Actor
from desk.services.ports.context import Context
from desk.services.ports.store import UnitOfWork

T = TypeVar("T")
ATTEMPTS = 12
MAX_KEY_LENGTH = 128


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
    found = uow.idempotency.get(actor.user_id or "system", key)
    if found is None:
        return None
    stored_operation, stored_fingerprint, result = found
    if stored_operation != operation or stored_fingerprint != fingerprint(request):
        raise ConflictError(
            "this Idempotency-Key was already used for a different request",
            fields={"Idempotency-Key": "reused"},
        )
    return result


def remember(
    ctx: Context,
    uow: UnitOfWork,
    actor: Actor,
    key: str | None,
    *,
    operation: str,
    request: Mapping[str, Any],
    result: Mapping[str, Any],
) -> None:
    if key is not None:
        uow.idempotency.put(
            actor.user_id or "system",
            key,
            operation=operation,
            fingerprint=fingerprint(request),
            result=json.loads(canonical_json(dict(result))),
            now=ctx.clock.now(),
        )
