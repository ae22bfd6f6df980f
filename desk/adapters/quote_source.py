"""Last traded prices for people (the dashboard's "LTP now", API clients).

The caller's own Kite session when they have an active broker credential with a fresh access
token (Kite's quotes), otherwise the paper venue's price source — the prices paper trades
fill at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from desk.domain.users import Actor
from desk.services import vault
from desk.services.ports.broker import Broker
from desk.services.ports.context import Context

QuoteSource = Literal["paper", "kite"]


@dataclass(frozen=True, slots=True)
class LastPrices:
    source: QuoteSource
    prices: Mapping[str, Decimal]  # instruments without a price are absent


def kite_broker_of(ctx: Context, user_id: str, kite_root: str) -> Broker | None:
    """A Kite client on ``user_id``'s own fresh session, or None when they have none."""
    usable = [
        c
        for c in vault.list_broker_credentials(ctx, Actor.system(label="quotes"))
        if c.user_id == user_id and c.is_active and c.token_status in ("valid", "expiring")
    ]
    if not usable:
        return None
    secrets = vault.reveal_broker_secrets(ctx, usable[0].id)
    if secrets.access_token is None:
        return None
    credential_id = usable[0].id
    from desk.adapters.kite.broker import KiteBroker  # kiteconnect is slow to import

    def expired() -> None:
        vault.mark_access_token_expired(ctx, Actor.system(label="kite"), credential_id)

    return KiteBroker(
        secrets.api_key.reveal(),
        secrets.access_token.reveal(),
        root=kite_root,
        on_token_expired=expired,
    )


def last_prices(
    ctx: Context, actor: Actor, paper: Broker, instruments: Sequence[str], *, kite_root: str
) -> LastPrices:
    """LTPs of ``instruments`` from the caller's Kite session, else from the paper venue."""
    wanted = list(dict.fromkeys(instruments))
    kite = kite_broker_of(ctx, actor.user_id, kite_root) if actor.user_id else None
    if kite is not None:
        return LastPrices("kite", dict(kite.ltp(wanted)))
    return LastPrices("paper", dict(paper.ltp(wanted)))
