"""Inbound webhooks: comparing shared secrets in constant time and auditing refusals."""

from __future__ import annotations

import hashlib
import hmac

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


def record_rejection(ctx: Context, *, source: str, reason: str, client: str | None) -> None:
    """Audit a refused webhook call (``<source>.webhook_rejected``); never the secret itself."""
    actor = Actor.system(label=f"{source}-webhook")
    with ctx.uow() as uow:
        audit.record(
            ctx,
            uow,
            actor,
            f"{source}.webhook_rejected",
            subject_type="webhook",
            subject_id=source,
            payload={"reason": reason, "client": client},
        )
        uow.commit()
