"""Kite login: the URL to send the user to, and storing the session it yields.

Access tokens expire every day around 06:00 IST; the expiry is stored with the encrypted
token, shown in status, and warned about before it passes.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from desk.domain.clock import IST
from desk.domain.errors import NotFoundError, ValidationError
from desk.domain.users import Actor
from desk.services import vault
from desk.services.credential_views import BrokerCredentialView
from desk.services.ports.context import Context
from desk.services.ports.kite_session import KiteLoginFactory
from desk.services.ports.store import UnitOfWork

REQUEST_TOKEN = re.compile(r"^[A-Za-z0-9]{6,64}$")
EXPIRY_HOUR_IST = 6


def session_expiry(login_time: datetime) -> datetime:
    """The first 06:00 IST after ``login_time``."""
    local = login_time.astimezone(IST)
    cutoff = datetime.combine(local.date(), time(EXPIRY_HOUR_IST), tzinfo=IST)
    return cutoff if local < cutoff else cutoff + timedelta(days=1)


def _require_own(ctx: Context, actor: Actor, credential_id: str) -> None:
    mine = any(
        c.id == credential_id and c.user_id == actor.user_id
        for c in vault.list_broker_credentials(ctx, actor)
    )
    if not mine:
        raise NotFoundError(
            f"no broker credential {credential_id!r} of yours", fields={"credential_id": "unknown"}
        )


def login_url(ctx: Context, actor: Actor, credential_id: str, logins: KiteLoginFactory) -> str:
    _require_own(ctx, actor, credential_id)
    secrets = vault.reveal_broker_secrets(ctx, credential_id)
    return logins(secrets.api_key.reveal()).login_url()


def complete_login(
    ctx: Context, actor: Actor, credential_id: str, request_token: str, logins: KiteLoginFactory
) -> BrokerCredentialView:
    """Exchange the one-time ``request_token`` (checksum sent by the client) and keep the
    access token encrypted with its expiry."""
    token = request_token.strip()
    if not REQUEST_TOKEN.match(token):
        raise ValidationError(
            "request_token must be 6-64 letters or digits (copy it from the redirect URL)",
            fields={"request_token": "invalid format"},
        )
    secrets = vault.reveal_broker_secrets(ctx, credential_id)
    if secrets.user_id != actor.user_id and not actor.is_admin:
        raise ValidationError(
            "that broker credential is not yours", fields={"credential_id": "not yours"}
        )
    session = logins(secrets.api_key.reveal()).generate_session(token, secrets.api_secret.reveal())
    logged_in = session.login_time or ctx.clock.now()
    return vault.store_access_token(
        ctx,
        actor,
        credential_id,
        access_token=session.access_token,
        expires_at=session_expiry(logged_in),
        broker_user_id=session.user_id,
    )


EXPIRING_TOPIC = "broker.token_expiring"


def remind_expiring(ctx: Context, already: set[tuple[str, datetime]]) -> list[str]:
    """Publish one reminder per session that expires within the warning window.

    ``already`` remembers (credential, expiry) pairs reminded before, so each session is
    reminded once; the Telegram runtime tells the owner.
    """
    from desk.domain.users import Actor
    from desk.services.ports.events import DomainEvent

    reminded: list[str] = []
    for cred in vault.list_broker_credentials(ctx, Actor.system(label="kite-reminder")):
        expires = cred.access_token_expires_at
        expiring = cred.token_status == "expiring"  # noqa: S105 (a status, not a secret)
        if not cred.is_active or not expiring or expires is None:
            continue
        if (cred.id, expires) in already:
            continue
        already.add((cred.id, expires))
        _audit_reminder(ctx, cred.id, expires)
        ctx.events.publish(
            DomainEvent(
                EXPIRING_TOPIC,
                cred.id,
                ctx.clock.now(),
                {"user_id": cred.user_id, "label": cred.label, "expires_at": expires.isoformat()},
            )
        )
        reminded.append(cred.id)
    return reminded


def _audit_reminder(ctx: Context, credential_id: str, expires: datetime) -> None:
    from desk.domain.users import Actor
    from desk.services import audit
    from desk.services.transactions import atomically

    def work(uow: UnitOfWork) -> None:
        audit.record(
            ctx, uow, Actor.system(label="kite-reminder"), "broker_credential.expiry_reminder",
            subject_type="broker_credential", subject_id=credential_id,
            payload={"expires_at": expires},
        )  # fmt: skip

    atomically(ctx, work)
