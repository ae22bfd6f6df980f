"""The research tools' async ``MarketData`` port on top of any (sync) ``Broker``.

Calls run in a worker thread (``kiteconnect`` is blocking). Values stay ``Decimal``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from desk.domain.broker import Position, Quote
from desk.services.ports.broker import Broker


def quote_mapping(quote: Quote) -> dict[str, Any]:
    row: dict[str, Any] = {
        "instrument_token": quote.instrument_token,
        "last_price": quote.last_price,
    }
    if quote.ohlc is not None:
        o = quote.ohlc
        row["ohlc"] = {"open": o.open, "high": o.high, "low": o.low, "close": o.close}
    if quote.volume is not None:
        row["volume"] = quote.volume
    if quote.timestamp is not None:
        row["timestamp"] = quote.timestamp.isoformat()
    return row


def position_mapping(p: Position) -> dict[str, Any]:
    return {
        "exchange": p.exchange,
        "tradingsymbol": p.tradingsymbol,
        "product": p.product,
        "quantity": p.quantity,
        "average_price": p.average_price,
        "last_price": p.last_price,
        "pnl_paise": p.pnl_paise,
        "realised_paise": p.realised_paise,
    }


class BrokerMarketData:
    def __init__(self, broker: Broker) -> None:
        self._broker = broker

    async def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        return await asyncio.to_thread(self._broker.ltp, list(instruments))

    async def quote(self, instruments: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        quotes = await asyncio.to_thread(self._broker.quote, list(instruments))
        return {k: quote_mapping(q) for k, q in quotes.items()}

    async def ohlc(self, instruments: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        quotes = await asyncio.to_thread(self._broker.ohlc, list(instruments))
        return {k: quote_mapping(q) for k, q in quotes.items()}

    async def positions(self) -> Sequence[Mapping[str, Any]]:
        positions = await asyncio.to_thread(self._broker.positions)
        return [position_mapping(p) for p in positions.net]
