"""Inbound webhooks: comparing shared secrets in constant time and auditing refusals."""

from __future__ import annotations

import hashlib
import hmac

import structlog

from desk.domain.users import Actor
from desk.services import audit
from desk.services.ports.context import Context
from desk.services.ports.store import UnitOfWork
from desk.services.refusals import RefusalKey
from desk.services.transactions import atomically

log = structlog.get_logger(__name__)


def secrets_match(presented: str | None, expected: str) -> bool:
    """Constant-time comparison that does not even reveal the expected length."""
    if presented is None:
        return False
    left = hashlib.sha256(presented.encode("utf-8", "surrogateescape")).digest()
    right = hashlib.sha256(expected.encode("utf-8", "surrogateescape")).digest()
    return hmac.compare_digest(left, right)


def audit_refusal(
    ctx: Context,
    key: RefusalKey,
    actor: Actor,
    action: str,
    *,
    subject_type: str,
    subject_id: str | None,
    payload: dict[str, object],
) -> None:
    """Audit a refused unauthenticated call as far as :mod:`desk.services.refusals` lets
    it through; the row says how many refusals of ``key`` were left out before it."""
    suppressed = ctx.refusals.admit(key, ctx.clock.now())
    if suppressed is None:
        return
    if suppressed:
        payload = payload | {"suppressed": suppressed}

    def work(uow: UnitOfWork) -> None:
        audit.record(
            ctx, uow, actor, action,
            subject_type=subject_type, subject_id=subject_id, payload=payload,
        )  # fmt: skip

    atomically(ctx, work)


def record_rejection(ctx: Context, *, source: str, reason: str, client: str | None) -> None:
    """Log a refused webhook call and audit it (``<source>.webhook_rejected``, sampled);
    never the secret itself."""
    log.warning("webhook_rejected", source=source, reason=reason, client=client)
    audit_refusal(
        ctx, (source, reason, client or ""), Actor.system(label=f"{source}-webhook"),
        f"{source}.webhook_rejected", subject_type="webhook", subject_id=source,
        payload={"reason": reason, "client": client},
    )  # fmt: skip
