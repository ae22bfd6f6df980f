"""The broker port: Kite, the paper broker and test fakes all implement :class:`Broker`.

Synchronous on purpose (the Kite client is ``requests``-based); async callers run it in a
thread. Every method raises only :class:`desk.domain.broker.BrokerError` subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol

from desk.domain.broker import (
    BrokerOrder,
    OrderIntent,
    OrderMargin,
    Positions,
    Quote,
    SegmentMargin,
    Trade,
)


class Broker(Protocol):
    def place_order(self, intent: OrderIntent) -> str:
        """Send the order with ``intent.tag`` as its tag; return the broker's order id.

        A return means "accepted for processing", not "live": follow it with
        :meth:`order_history` or :meth:`orders`. On ``BrokerError.outcome_unknown`` look the tag
        up in :meth:`orders` before retrying.
        """
        ...

    def orders(self) -> Sequence[BrokerOrder]:
        """Today's order book (every order of the account, latest state of each)."""
        ...

    def order_history(self, order_id: str) -> Sequence[BrokerOrder]:
        """Every state the order went through, oldest first."""
        ...

    def cancel_order(self, order_id: str, *, variety: str = "regular") -> str: ...

    def trades(self) -> Sequence[Trade]: ...

    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        """Last price per ``EXCHANGE:SYMBOL``; keys without data are left out."""
        ...

    def quote(self, instruments: Sequence[str]) -> Mapping[str, Quote]: ...

    def ohlc(self, instruments: Sequence[str]) -> Mapping[str, Quote]: ...

    def positions(self) -> Positions: ...

    def margins(self) -> Mapping[str, SegmentMargin]:
        """Account margins per segment (``equity``, ``commodity``)."""
        ...

    def order_margins(self, intents: Sequence[OrderIntent]) -> Sequence[OrderMargin]:
        """Margin each order would need right now."""
        ...

    def instruments_csv(self, exchange: str | None = None) -> str:
        """The instruments master as CSV text (parse with ``parse_instruments_csv``)."""
        ...
