"""Encryption keys of the vault: which key holds how many secrets, and rotation."""

from __future__ import annotations

from dataclasses import dataclass, replace

from desk.domain.errors import PermissionDeniedError
from desk.domain.users import Actor
from desk.services import audit
from desk.services.ports.context import Context
from desk.services.vault import under_newest_key


@dataclass(frozen=True, slots=True)
class KeyUsage:
    key_id: str
    configured: bool
    secrets: int


def key_usage(ctx: Context) -> list[KeyUsage]:
    with ctx.uow(write=False) as uow:
        ids = [r.key_id for r in uow.credentials.list_broker(None)]
        ids += [r.key_id for r in uow.credentials.list_llm(None)]
    configured = ctx.cipher.key_ids
    usage = [KeyUsage(k, True, ids.count(k)) for k in configured]
    usage += [KeyUsage(k, False, ids.count(k)) for k in sorted(set(ids) - set(configured))]
    return usage


def rotate_keys(ctx: Context, actor: Actor) -> int:
    """Re-encrypt every secret under the newest key, in one transaction. Returns the count."""
    if not actor.is_admin:
        raise PermissionDeniedError("only admins may rotate keys")
    newest = ctx.cipher.current_key_id
    rotated = 0
    with ctx.uow() as uow:
        for b in uow.credentials.list_broker(None):
            if b.key_id != newest:
                uow.credentials.update_broker(under_newest_key(ctx, b))
                rotated += 1
        for c in uow.credentials.list_llm(None):
            if c.key_id == newest:
                continue
            uow.credentials.update_llm(
                replace(c, api_key_enc=ctx.cipher.rotate(c.api_key_enc), key_id=newest)
            )
            rotated += 1
        audit.record(
            ctx,
            uow,
            actor,
            "vault.keys_rotated",
            subject_type="vault",
            subject_id=None,
            payload={"key_id": newest, "records": rotated},
        )
        uow.commit()
    return rotated
