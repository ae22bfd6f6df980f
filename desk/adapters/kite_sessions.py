"""A user's own Kite session: which credential serves it, and a client on it.

Used wherever Desk talks to Kite as somebody (live execution, quotes): the active broker
credential of ``user_id`` whose access token is still fresh, and a ``KiteBroker`` on it that
marks the token expired when Kite says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desk.domain.users import Actor
from desk.services import vault
from desk.services.credential_views import BrokerSecrets
from desk.services.ports.context import Context

if TYPE_CHECKING:
    from desk.adapters.kite.broker import KiteBroker


def kite_session_of(ctx: Context, user_id: str) -> BrokerSecrets | None:
    """The secrets of ``user_id``'s active credential with a fresh access token, or None."""
    usable = [
        c
        for c in vault.list_broker_credentials(ctx, Actor.system(label="kite-session"))
        if c.user_id == user_id and c.is_active and c.token_status in ("valid", "expiring")
    ]
    if not usable:
        return None
    secrets = vault.reveal_broker_secrets(ctx, usable[0].id)
    return secrets if secrets.access_token is not None else None


def kite_client(ctx: Context, session: BrokerSecrets, *, root: str, **options: Any) -> KiteBroker:
    """A ``KiteBroker`` on ``session`` (``options`` go to it: limiter, market_protection…)."""
    from desk.adapters.kite.broker import KiteBroker  # kiteconnect is slow to import

    assert session.access_token is not None
    credential_id = session.credential_id

    def expired() -> None:
        vault.mark_access_token_expired(ctx, Actor.system(label="kite"), credential_id)

    return KiteBroker(
        session.api_key.reveal(), session.access_token.reveal(), root=root,
        on_token_expired=expired, **options,
    )  # fmt: skip
