"""Read-only views the fake Kite server builds from its state: positions, quotes, margins.

Shapes follow ``positions.json``, ``quote.json``, ``ltp.json``, ``ohlc.json`` and
``order_margins.json`` in the shared kite-mocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from desk.adapters.kite.fake_state import FakeKiteError, FakeKiteState, Json, num

_MARGIN_RATE = {"CNC": Decimal(1), "MIS": Decimal("0.2"), "NRML": Decimal("0.15")}


def positions(state: FakeKiteState) -> Json:
    with state.lock:
        rows = [_position(state, key, book) for key, book in state._books.items()]
    return {"net": rows, "day": [dict(r) for r in rows]}


def _position(state: FakeKiteState, key: tuple[str, str, str], book: Any) -> Json:
    exchange, symbol, product = key
    ltp = state.ltp[f"{exchange}:{symbol}"]
    qty = book.buy_qty - book.sell_qty
    buy_avg = book.buy_value / book.buy_qty if book.buy_qty else Decimal(0)
    sell_avg = book.sell_value / book.sell_qty if book.sell_qty else Decimal(0)
    value = book.sell_value - book.buy_value
    pnl = value + qty * ltp
    closed = min(book.buy_qty, book.sell_qty)
    realised = (sell_avg - buy_avg) * closed
    avg = buy_avg if qty > 0 else sell_avg if qty < 0 else Decimal(0)
    close = state.close[f"{exchange}:{symbol}"]
    r = Decimal("0.01")
    return {
        "tradingsymbol": symbol,
        "exchange": exchange,
        "instrument_token": int(state.instruments[f"{exchange}:{symbol}"]["instrument_token"]),
        "product": product,
        "quantity": qty,
        "overnight_quantity": 0,
        "multiplier": 1,
        "average_price": num(avg.quantize(r)),
        "close_price": num(close),
        "last_price": num(ltp),
        "value": num(value.quantize(r)),
        "pnl": num(pnl.quantize(r)),
        "m2m": num(pnl.quantize(r)),
        "unrealised": num((pnl - realised).quantize(r)),
        "realised": num(realised.quantize(r)),
        "buy_quantity": book.buy_qty,
        "buy_price": num(buy_avg.quantize(r)),
        "buy_value": num(book.buy_value),
        "buy_m2m": num(book.buy_value),
        "sell_quantity": book.sell_qty,
        "sell_price": num(sell_avg.quantize(r)),
        "sell_value": num(book.sell_value),
        "sell_m2m": num(book.sell_value),
        "day_buy_quantity": book.buy_qty,
        "day_buy_price": num(buy_avg.quantize(r)),
        "day_buy_value": num(book.buy_value),
        "day_sell_quantity": book.sell_qty,
        "day_sell_price": num(sell_avg.quantize(r)),
        "day_sell_value": num(book.sell_value),
    }


def _known(state: FakeKiteState, keys: Iterable[str]) -> list[str]:
    return [k for k in dict.fromkeys(keys) if k in state.instruments]


def ltp(state: FakeKiteState, keys: Iterable[str]) -> Json:
    with state.lock:
        return {
            k: {"instrument_token": _token(state, k), "last_price": num(state.ltp[k])}
            for k in _known(state, keys)
        }


def ohlc(state: FakeKiteState, keys: Iterable[str]) -> Json:
    with state.lock:
        return {
            k: {
                "instrument_token": _token(state, k),
                "last_price": num(state.ltp[k]),
                "ohlc": _ohlc(state, k),
            }
            for k in _known(state, keys)
        }


def _token(state: FakeKiteState, key: str) -> int:
    return int(state.instruments[key]["instrument_token"])


def _ohlc(state: FakeKiteState, key: str) -> Json:
    close, last = state.close[key], state.ltp[key]
    return {
        "open": num(close),
        "high": num(max(close, last)),
        "low": num(min(close, last)),
        "close": num(close),
    }


def quote(state: FakeKiteState, keys: Iterable[str]) -> Json:
    out: Json = {}
    stamp = state.stamp()
    with state.lock:
        for k in _known(state, keys):
            last, close = state.ltp[k], state.close[k]
            tick = Decimal(state.instruments[k]["tick_size"]) or Decimal("0.05")
            empty = {"price": 0, "quantity": 0, "orders": 0}
            out[k] = {
                "instrument_token": _token(state, k),
                "timestamp": stamp,
                "last_trade_time": stamp,
                "last_price": num(last),
                "last_quantity": 1,
                "buy_quantity": 100,
                "sell_quantity": 100,
                "volume": 1000,
                "average_price": num(last),
                "oi": 0,
                "oi_day_high": 0,
                "oi_day_low": 0,
                "net_change": num(last - close),
                "lower_circuit_limit": num((close * Decimal("0.8")).quantize(tick)),
                "upper_circuit_limit": num((close * Decimal("1.2")).quantize(tick)),
                "ohlc": _ohlc(state, k),
                "depth": {
                    "buy": [{"price": num(last - tick), "quantity": 100, "orders": 1}]
                    + [dict(empty) for _ in range(4)],
                    "sell": [{"price": num(last + tick), "quantity": 100, "orders": 1}]
                    + [dict(empty) for _ in range(4)],
                },
            }
    return out


def order_margins(state: FakeKiteState, items: object) -> list[Json]:
    if not isinstance(items, list):
        raise FakeKiteError(400, "InputException", "Expected a JSON list of orders.")
    return [_order_margin(state, item) for item in items]


def _order_margin(state: FakeKiteState, item: object) -> Json:
    if not isinstance(item, Mapping):
        raise FakeKiteError(400, "InputException", "Each order must be an object.")
    key = f"{item.get('exchange')}:{item.get('tradingsymbol')}"
    if key not in state.instruments:
        raise FakeKiteError(400, "InputException", "Invalid `tradingsymbol`.")
    price = Decimal(str(item.get("price") or 0)) or state.ltp[key]
    value = price * int(str(item.get("quantity") or 0))
    total = value * _MARGIN_RATE.get(str(item.get("product")), Decimal(1))
    charges = (value * Decimal("0.0012")).quantize(Decimal("0.0001"))
    return {
        "type": "equity",
        "tradingsymbol": item.get("tradingsymbol"),
        "exchange": item.get("exchange"),
        "span": 0,
        "exposure": 0,
        "option_premium": 0,
        "additional": 0,
        "bo": 0,
        "cash": 0,
        "var": num(total.quantize(Decimal("0.01"))),
        "pnl": {"realised": 0, "unrealised": 0},
        "leverage": 1,
        "charges": {
            "transaction_tax": num(charges),
            "transaction_tax_type": "stt",
            "exchange_turnover_charge": 0,
            "sebi_turnover_charge": 0,
            "brokerage": 0,
            "stamp_duty": 0,
            "gst": {"igst": 0, "cgst": 0, "sgst": 0, "total": 0},
            "total": num(charges),
        },
        "total": num(total.quantize(Decimal("0.01"))),
    }
