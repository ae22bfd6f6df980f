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

from desk.adapters.kite_sessions import kite_client, kite_session_of
from desk.domain.users import Actor
from desk.services.ports.broker import Broker
from desk.services.ports.context import Context

QuoteSource = Literal["paper", "kite"]


@dataclass(frozen=True, slots=True)
class LastPrices:
    source: QuoteSource
    prices: Mapping[str, Decimal]  # instruments without a price are absent


def last_prices(
    ctx: Context, actor: Actor, paper: Broker, instruments: Sequence[str], *, kite_root: str
) -> LastPrices:
    """LTPs of ``instruments`` from the caller's Kite session, else from the paper venue."""
    wanted = list(dict.fromkeys(instruments))
    session = kite_session_of(ctx, actor.user_id) if actor.user_id else None
    if session is None:
        return LastPrices("paper", dict(paper.ltp(wanted)))
    kite = kite_client(ctx, session, root=kite_root)
    try:
        return LastPrices("kite", dict(kite.ltp(wanted)))
    finally:
        kite.close()
