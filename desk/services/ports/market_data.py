"""The minimal market-data port the research tools need (the broker adapter satisfies it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol


class MarketData(Protocol):
    async def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        """Last traded price per ``EXCHANGE:SYMBOL``."""
        ...

    async def quote(self, instruments: Sequence[str]) -> Mapping[str, Mapping[str, Any]]: ...

    async def ohlc(self, instruments: Sequence[str]) -> Mapping[str, Mapping[str, Any]]: ...

    async def positions(self) -> Sequence[Mapping[str, Any]]: ...
