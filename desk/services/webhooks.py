"""Inbound webhooks: comparing shared secrets in constant time and auditing refusals."""

from __future__ import annotations

import hashlib
import hmac

import structlog

from desk.domain.users import Actor
from desk.services import audit
from desk.services.ports.context import Context


def secrets_match(presented: str | None, expected: str) -> bool:
    """Constant-time comparison that does not even reveal the expected length."""
    if presented is None:
        return False
    left = hashlib.sha256(presented.encode("utf-8", "surrogateescape")).digest()
    right = hashlib.sha256(expected.encode("utf-8", "surrogateescape")).digest()
    return hmac.compare_digest(left, right)


log = structlog.get_logger(__name__)


def record_rejection(ctx: Context, *, source: str, reason: str, client: str | None) -> None:
    """Log a refused webhook call, and audit it (``<source>.webhook_rejected``) as far as
    :mod:`desk.services.refusals` lets it through; never the secret itself."""
    suppressed = ctx.refusals.admit((source, reason, client or ""), ctx.clock.now())
    log.warning("webhook_rejected", source=source, reason=reason, client=client)
    if suppressed is None:
        return
    payload: dict[str, object] = {"reason": reason, "client": client}
    if suppressed:
        payload["suppressed"] = suppressed
    actor = Actor.system(label=f"{source}-webhook")
    with ctx.uow() as uow:
        audit.record(
            ctx,
            uow,
            actor,
            f"{source}.webhook_rejected",
            subject_type="webhook",
            subject_id=source,
            payload=payload,
        )
        uow.commit()
