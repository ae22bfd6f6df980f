"""In-memory market data satisfying :class:`desk.services.ports.market_data.MarketData`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any


class FakeMarketData:
    def __init__(
        self,
        prices: Mapping[str, Decimal],
        positions: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.prices = dict(prices)
        self._positions = [dict(p) for p in positions]

    def _known(self, instruments: Sequence[str]) -> list[str]:
        return [i for i in instruments if i in self.prices]

    async def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        return {i: self.prices[i] for i in self._known(instruments)}

    async def quote(self, instruments: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        return {
            i: {"last_price": self.prices[i], "volume": 125000, "ohlc": self._ohlc(i)}
            for i in self._known(instruments)
        }

    async def ohlc(self, instruments: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        return {
            i: {"last_price": self.prices[i], "ohlc": self._ohlc(i)}
            for i in self._known(instruments)
        }

    async def positions(self) -> Sequence[Mapping[str, Any]]:
        return list(self._positions)

    def _ohlc(self, instrument: str) -> dict[str, Decimal]:
        price = self.prices[instrument]
        step = (price / 100).quantize(Decimal("0.05"))
        return {"open": price - step, "high": price + step, "low": price - 2 * step, "close": price}
