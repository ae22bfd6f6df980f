"""What pre-trade risk needs to know about the market and the account right now."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol


class MarketView(Protocol):
    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        """Last price per ``EXCHANGE:SYMBOL``; missing keys have no price."""
        ...

    def position_quantity(self, exchange: str, tradingsymbol: str, product: str) -> int:
        """Signed net quantity held (short < 0)."""
        ...

    def realized_pnl_today_paise(self) -> int: ...

    def available_margin_paise(self) -> int | None:
        """Live accounts only; None skips the margin check."""
        ...
