"""The encrypted vault: broker and LLM credentials, masked views, key rotation.

Plaintext enters through these functions and leaves only through ``reveal_*`` (for the
adapters that call the broker or the LLM). Views carry hints, never secrets.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from desk.domain.credentials import (
    BrokerCredentialRecord,
    BrokerKind,
    LlmCredentialRecord,
    LlmProvider,
    validate_label,
    validate_secret_text,
)
from desk.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from desk.domain.secret import Secret, mask
from desk.domain.users import Actor
from desk.services import audit
from desk.services.credential_views import (
    LLM_CREATION,
    BrokerCredentialView,
    BrokerSecrets,
    LlmCredentialView,
    broker_creation,
    broker_view,
    llm_view,
)
from desk.services.ports.context import Context
from desk.services.ports.events import DomainEvent
from desk.services.ports.store import UnitOfWork
from desk.services.transactions import once

TOKEN_EXPIRED_TOPIC = "broker.token_expired"  # noqa: S105 (an event topic)


def _owner_scope(actor: Actor) -> str | None:
    """Admins see metadata of all credentials; members only their own."""
    if actor.is_admin:
        return None
    if actor.user_id is None:
        raise PermissionDeniedError("sign in to manage credentials")
    return actor.user_id


def _owned(actor: Actor, owner_id: str, kind: str, credential_id: str) -> None:
    if owner_id != actor.user_id and not actor.is_admin:
        raise NotFoundError(f"no {kind} credential {credential_id!r}", fields={"id": "unknown"})


def _owner_for_write(uow: UnitOfWork, actor: Actor, user_id: str | None) -> str:
    owner = user_id or actor.user_id
    if owner is None:
        raise ValidationError("say whose credential this is", fields={"user": "required"})
    if owner != actor.user_id and not actor.is_admin:
        raise PermissionDeniedError("you may only store your own credentials")
    user = uow.users.get(owner) or uow.users.get_by_username(owner)
    if user is None:
        raise NotFoundError(f"no user {owner!r}", fields={"user": "unknown user"})
    return user.id


# --- LLM credentials --------------------------------------------------------------------


def add_llm_credential(
    ctx: Context,
    actor: Actor,
    *,
    api_key: str,
    label: str = "default",
    provider: str = "openrouter",
    activate: bool = True,
    user_id: str | None = None,
    idempotency_key: str | None = None,
) -> LlmCredentialView:
    try:
        kind = LlmProvider(provider)
    except ValueError:
        raise ValidationError(
            f"unknown provider {provider!r}", fields={"provider": "unknown"}
        ) from None
    key = validate_secret_text(api_key, "api_key", min_len=8)
    name = validate_label(label)
    now = ctx.clock.now()

    def work(uow: UnitOfWork) -> LlmCredentialView:
        owner = _owner_for_write(uow, actor, user_id)
        if activate:
            uow.credentials.deactivate_llm_for_user(owner, now)
        record = LlmCredentialRecord(
            id=ctx.ids.new_id(),
            user_id=owner,
            provider=kind,
            label=name,
            api_key_enc=ctx.cipher.encrypt(key),
            api_key_hint=mask(key),
            key_id=ctx.cipher.current_key_id,
            is_active=activate,
            created_at=now,
            updated_at=now,
        )
        uow.credentials.add_llm(record)
        audit.record(
            ctx,
            uow,
            actor,
            "llm_credential.created",
            subject_type="llm_credential",
            subject_id=record.id,
            payload={"user_id": owner, "label": name, "active": activate},
        )
        return llm_view(record)

    # fingerprinted (a digest), never stored
    request = {"api_key": key, "label": name, "provider": kind.value, "activate": activate,
               "user_id": user_id}  # fmt: skip
    return once(ctx, actor, idempotency_key, LLM_CREATION, request=request, work=work).value


def list_llm_credentials(ctx: Context, actor: Actor) -> list[LlmCredentialView]:
    with ctx.uow(write=False) as uow:
        return [llm_view(r) for r in uow.credentials.list_llm(_owner_scope(actor))]


def set_llm_credential_active(
    ctx: Context, actor: Actor, credential_id: str, active: bool
) -> LlmCredentialView:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        record = uow.credentials.get_llm(credential_id)
        if record is None:
            raise NotFoundError(f"no llm credential {credential_id!r}", fields={"id": "unknown"})
        _owned(actor, record.user_id, "llm", credential_id)
        if active:
            uow.credentials.deactivate_llm_for_user(record.user_id, now)
        updated = replace(record, is_active=active, updated_at=now)
        uow.credentials.update_llm(updated)
        audit.record(
            ctx,
            uow,
            actor,
            "llm_credential.activated" if active else "llm_credential.deactivated",
            subject_type="llm_credential",
            subject_id=record.id,
            payload={"user_id": record.user_id},
        )
        uow.commit()
    return llm_view(updated)


def delete_llm_credential(ctx: Context, actor: Actor, credential_id: str) -> None:
    with ctx.uow() as uow:
        record = uow.credentials.get_llm(credential_id)
        if record is None:
            raise NotFoundError(f"no llm credential {credential_id!r}", fields={"id": "unknown"})
        _owned(actor, record.user_id, "llm", credential_id)
        uow.credentials.delete_llm(record.id)
        audit.record(
            ctx,
            uow,
            actor,
            "llm_credential.deleted",
            subject_type="llm_credential",
            subject_id=record.id,
            payload={"user_id": record.user_id},
        )
        uow.commit()


def reveal_llm_key(ctx: Context, user_id: str) -> Secret | None:
    """The user's active LLM key, for the OpenRouter adapter only. None when there is none."""
    with ctx.uow(write=False) as uow:
        active = [r for r in uow.credentials.list_llm(user_id) if r.is_active]
    if not active:
        return None
    return Secret(ctx.cipher.decrypt(active[0].api_key_enc))


# --- broker credentials -----------------------------------------------------------------


def add_broker_credential(
    ctx: Context,
    actor: Actor,
    *,
    api_key: str,
    api_secret: str,
    label: str = "kite",
    broker: str = "kite",
    user_id: str | None = None,
    idempotency_key: str | None = None,
) -> BrokerCredentialView:
    try:
        kind = BrokerKind(broker)
    except ValueError:
        raise ValidationError(f"unknown broker {broker!r}", fields={"broker": "unknown"}) from None
    key = validate_secret_text(api_key, "api_key")
    secret = validate_secret_text(api_secret, "api_secret")
    name = validate_label(label)
    now = ctx.clock.now()

    def work(uow: UnitOfWork) -> BrokerCredentialView:
        owner = _owner_for_write(uow, actor, user_id)
        record = BrokerCredentialRecord(
            id=ctx.ids.new_id(),
            user_id=owner,
            broker=kind,
            label=name,
            api_key_enc=ctx.cipher.encrypt(key),
            api_secret_enc=ctx.cipher.encrypt(secret),
            access_token_enc=None,
            access_token_expires_at=None,
            broker_user_id=None,
            api_key_hint=mask(key),
            key_id=ctx.cipher.current_key_id,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        uow.credentials.add_broker(record)
        audit.record(
            ctx,
            uow,
            actor,
            "broker_credential.created",
            subject_type="broker_credential",
            subject_id=record.id,
            payload={"user_id": owner, "broker": kind.value, "label": name},
        )
        return broker_view(record, now)

    # fingerprinted (a digest), never stored
    request = {"api_key": key, "api_secret": secret, "label": name, "broker": kind.value,
               "user_id": user_id}  # fmt: skip
    return once(ctx, actor, idempotency_key, broker_creation(now), request=request, work=work).value


def list_broker_credentials(ctx: Context, actor: Actor) -> list[BrokerCredentialView]:
    now = ctx.clock.now()
    with ctx.uow(write=False) as uow:
        return [broker_view(r, now) for r in uow.credentials.list_broker(_owner_scope(actor))]


def _get_broker(uow: UnitOfWork, actor: Actor, credential_id: str) -> BrokerCredentialRecord:
    record = uow.credentials.get_broker(credential_id)
    if record is None:
        raise NotFoundError(f"no broker credential {credential_id!r}", fields={"id": "unknown"})
    _owned(actor, record.user_id, "broker", credential_id)
    return record


def update_broker_credential(
    ctx: Context,
    actor: Actor,
    credential_id: str,
    *,
    label: str | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    is_active: bool | None = None,
) -> BrokerCredentialView:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        record = _get_broker(uow, actor, credential_id)
        if actor.user_id != record.user_id:
            raise PermissionDeniedError("only the owner may change a broker credential")
        changed: list[str] = []
        updated = under_newest_key(ctx, record)
        if label is not None:
            updated = replace(updated, label=validate_label(label))
            changed.append("label")
        if api_key is not None:
            key = validate_secret_text(api_key, "api_key")
            updated = replace(updated, api_key_enc=ctx.cipher.encrypt(key), api_key_hint=mask(key))
            changed.append("api_key")
        if api_secret is not None:
            secret = validate_secret_text(api_secret, "api_secret")
            updated = replace(updated, api_secret_enc=ctx.cipher.encrypt(secret))
            changed.append("api_secret")
        if is_active is not None:
            updated = replace(updated, is_active=is_active)
            changed.append("is_active")
        if not changed:
            raise ValidationError("nothing to change", fields={"body": "empty update"})
        if {"api_key", "api_secret"} & set(changed):
            # New app credentials invalidate the old session.
            updated = replace(updated, access_token_enc=None, access_token_expires_at=None)
        updated = replace(updated, updated_at=now)
        uow.credentials.update_broker(updated)
        audit.record(
            ctx,
            uow,
            actor,
            "broker_credential.updated",
            subject_type="broker_credential",
            subject_id=record.id,
            payload={"fields": changed},
        )
        uow.commit()
    return broker_view(updated, now)


def under_newest_key(ctx: Context, record: BrokerCredentialRecord) -> BrokerCredentialRecord:
    """A record carries one key id, so all its ciphertexts move to the newest key together."""
    if record.key_id == ctx.cipher.current_key_id:
        return record
    token = record.access_token_enc
    return replace(
        record,
        api_key_enc=ctx.cipher.rotate(record.api_key_enc),
        api_secret_enc=ctx.cipher.rotate(record.api_secret_enc),
        access_token_enc=ctx.cipher.rotate(token) if token else None,
        key_id=ctx.cipher.current_key_id,
    )


def store_access_token(
    ctx: Context,
    actor: Actor,
    credential_id: str,
    *,
    access_token: str,
    expires_at: datetime,
    broker_user_id: str | None,
) -> BrokerCredentialView:
    """After a Kite login: keep the session token encrypted, with its expiry."""
    token = validate_secret_text(access_token, "access_token")
    now = ctx.clock.now()
    with ctx.uow() as uow:
        record = _get_broker(uow, actor, credential_id)
        updated = replace(
            under_newest_key(ctx, record),
            access_token_enc=ctx.cipher.encrypt(token),
            access_token_expires_at=expires_at,
            broker_user_id=broker_user_id,
            updated_at=now,
        )
        uow.credentials.update_broker(updated)
        audit.record(
            ctx,
            uow,
            actor,
            "broker_credential.session_stored",
            subject_type="broker_credential",
            subject_id=record.id,
            payload={"expires_at": expires_at, "broker_user_id": broker_user_id},
        )
        uow.commit()
    return broker_view(updated, now)


def mark_access_token_expired(ctx: Context, actor: Actor, credential_id: str) -> None:
    now = ctx.clock.now()
    with ctx.uow() as uow:
        record = _get_broker(uow, actor, credential_id)
        uow.credentials.update_broker(replace(record, access_token_expires_at=now, updated_at=now))
        audit.record(
            ctx,
            uow,
            actor,
            "broker_credential.token_expired",
            subject_type="broker_credential",
            subject_id=record.id,
            payload={},
        )
        uow.commit()
    # The owner is told (Telegram subscribes): live trading stops until a new Kite login.
    ctx.events.publish(
        DomainEvent(
            TOKEN_EXPIRED_TOPIC, record.id, now, {"user_id": record.user_id, "label": record.label}
        )
    )


def delete_broker_credential(ctx: Context, actor: Actor, credential_id: str) -> None:
    with ctx.uow() as uow:
        record = _get_broker(uow, actor, credential_id)
        uow.credentials.delete_broker(record.id)
        audit.record(
            ctx,
            uow,
            actor,
            "broker_credential.deleted",
            subject_type="broker_credential",
            subject_id=record.id,
            payload={"user_id": record.user_id},
        )
        uow.commit()


def reveal_broker_secrets(ctx: Context, credential_id: str) -> BrokerSecrets:
    """Plaintext for the Kite adapter only; never log or return it."""
    with ctx.uow(write=False) as uow:
        record = uow.credentials.get_broker(credential_id)
    if record is None:
        raise NotFoundError(f"no broker credential {credential_id!r}", fields={"id": "unknown"})
    token = ctx.cipher.decrypt(record.access_token_enc) if record.access_token_enc else None
    return BrokerSecrets(
        credential_id=record.id,
        user_id=record.user_id,
        api_key=Secret(ctx.cipher.decrypt(record.api_key_enc)),
        api_secret=Secret(ctx.cipher.decrypt(record.api_secret_enc)),
        access_token=Secret(token) if token else None,
        access_token_expires_at=record.access_token_expires_at,
    )
