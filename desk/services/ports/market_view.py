"""What pre-trade risk needs to know about the market and the account right now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from desk.domain.orders import TradeProposal


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """One order's view of the market and the account, read at one moment."""

    ltp: Decimal | None
    #: Signed net quantity held in the order's symbol and product (short < 0).
    position_quantity: int = 0
    realized_pnl_today_paise: int = 0
    #: Live accounts only (the broker's available margin); None skips the margin check.
    available_margin_paise: int | None = None
    #: What the broker would block for this order (Kite's order-margins API); None means
    #: "use the order value".
    required_margin_paise: int | None = None


class MarketView(Protocol):
    def start_snapshot(self, proposal: TradeProposal) -> Callable[[], MarketSnapshot]:
        """Begin reading everything the risk checks need from the broker for ``proposal``;
        the returned call waits for the reads and gives the snapshot (a read error is raised
        there). A live adapter reads concurrently in the background, so the caller's own
        database reads overlap the broker round trip; a paper one may read on the call."""
        ...
