"""Kite response dicts (as returned by ``kiteconnect``) → frozen domain objects.

Kite sends floats; they become ``Decimal`` via ``repr`` (shortest round-trip) and paise via
half-up rounding. Anything missing or mistyped raises ``BrokerDataError`` naming the field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from desk.domain.broker import (
    BrokerDataError,
    BrokerOrder,
    Ohlc,
    OrderMargin,
    Position,
    Positions,
    Quote,
    SegmentMargin,
    Trade,
)
from desk.domain.clock import IST
from desk.domain.instruments import INSTRUMENT_COLUMNS
from desk.domain.orders import OrderStatus, OrderType, TransactionType
from desk.domain.risk.model import to_paise


def _bad(what: str, key: str, value: object) -> BrokerDataError:
    return BrokerDataError(f"Kite {what}: field {key!r} has unexpected value {value!r}")


def dec(row: Mapping[str, Any], key: str, what: str, *, default: Decimal | None = None) -> Decimal:
    value = row.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _bad(what, key, value)
    try:
        out = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise _bad(what, key, value) from None
    if not out.is_finite():
        raise _bad(what, key, value)
    return out


def integer(row: Mapping[str, Any], key: str, what: str, *, default: int | None = None) -> int:
    value = row.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool):
        raise _bad(what, key, value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise _bad(what, key, value)


def text(row: Mapping[str, Any], key: str, what: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(what, key, value)
    return value


def opt_text(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    return str(value) if value not in (None, "") else None


def paise(row: Mapping[str, Any], key: str, what: str) -> int:
    return to_paise(dec(row, key, what, default=Decimal(0)))


def timestamp(value: object) -> datetime | None:
    """kiteconnect turns 19-char timestamps into naive IST datetimes; make them aware."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=IST)
    if isinstance(value, str) and len(value) == 19:
        try:
            return datetime.fromisoformat(value).replace(tzinfo=IST)
        except ValueError:
            return None
    return None


def need_mapping(row: object, what: str) -> Mapping[str, Any]:
    if not isinstance(row, Mapping):
        raise BrokerDataError(f"Kite {what}: expected an object, got {type(row).__name__}")
    return row


def need_list(rows: object, what: str) -> list[object]:
    if not isinstance(rows, list):
        raise BrokerDataError(f"Kite {what}: expected a list, got {type(rows).__name__}")
    return rows


def _enum_value(row: Mapping[str, Any], key: str, what: str, enum: type[Any]) -> Any:
    raw = row.get(key)
    try:
        return enum(raw)
    except ValueError:
        raise _bad(what, key, raw) from None


def order(raw: object) -> BrokerOrder:
    what = "order"
    row = need_mapping(raw, what)
    status_raw = text(row, "status", what)
    return BrokerOrder(
        order_id=str(text(row, "order_id", what)),
        status=OrderStatus.parse(status_raw),
        status_raw=status_raw,
        status_message=opt_text(row, "status_message"),
        tag=opt_text(row, "tag"),
        exchange=text(row, "exchange", what),
        tradingsymbol=text(row, "tradingsymbol", what),
        transaction_type=_enum_value(row, "transaction_type", what, TransactionType),
        order_type=_enum_value(row, "order_type", what, OrderType),
        product=text(row, "product", what),
        variety=text(row, "variety", what),
        validity=opt_text(row, "validity") or "DAY",
        quantity=integer(row, "quantity", what),
        filled_quantity=integer(row, "filled_quantity", what, default=0),
        pending_quantity=integer(row, "pending_quantity", what, default=0),
        cancelled_quantity=integer(row, "cancelled_quantity", what, default=0),
        price=dec(row, "price", what, default=Decimal(0)),
        trigger_price=dec(row, "trigger_price", what, default=Decimal(0)),
        average_price=dec(row, "average_price", what, default=Decimal(0)),
        order_timestamp=timestamp(row.get("order_timestamp")),
        exchange_order_id=opt_text(row, "exchange_order_id"),
    )


def orders(raw: object) -> list[BrokerOrder]:
    return [order(r) for r in need_list(raw, "orders")]


def trade(raw: object) -> Trade:
    what = "trade"
    row = need_mapping(raw, what)
    return Trade(
        trade_id=str(text(row, "trade_id", what)),
        order_id=str(text(row, "order_id", what)),
        exchange=text(row, "exchange", what),
        tradingsymbol=text(row, "tradingsymbol", what),
        transaction_type=_enum_value(row, "transaction_type", what, TransactionType),
        quantity=integer(row, "quantity", what),
        average_price=dec(row, "average_price", what),
        fill_timestamp=timestamp(row.get("fill_timestamp")),
    )


def _ohlc(raw: object) -> Ohlc | None:
    if not isinstance(raw, Mapping):
        return None
    w = "ohlc"
    return Ohlc(dec(raw, "open", w), dec(raw, "high", w), dec(raw, "low", w), dec(raw, "close", w))


def quotes(raw: object, what: str) -> dict[str, Quote]:
    data = need_mapping(raw, what)
    out: dict[str, Quote] = {}
    for key, item in data.items():
        row = need_mapping(item, what)
        lower, upper = row.get("lower_circuit_limit"), row.get("upper_circuit_limit")
        volume = row.get("volume")
        out[str(key)] = Quote(
            key=str(key),
            instrument_token=integer(row, "instrument_token", what),
            last_price=dec(row, "last_price", what),
            ohlc=_ohlc(row.get("ohlc")),
            volume=volume if isinstance(volume, int) and not isinstance(volume, bool) else None,
            timestamp=timestamp(row.get("timestamp")),
            lower_circuit_limit=None if lower is None else dec(row, "lower_circuit_limit", what),
            upper_circuit_limit=None if upper is None else dec(row, "upper_circuit_limit", what),
        )
    return out


def _position(raw: object) -> Position:
    what = "position"
    row = need_mapping(raw, what)
    return Position(
        exchange=text(row, "exchange", what),
        tradingsymbol=text(row, "tradingsymbol", what),
        product=text(row, "product", what),
        quantity=integer(row, "quantity", what),
        average_price=dec(row, "average_price", what, default=Decimal(0)),
        last_price=dec(row, "last_price", what, default=Decimal(0)),
        pnl_paise=paise(row, "pnl", what),
        realised_paise=paise(row, "realised", what),
        unrealised_paise=paise(row, "unrealised", what),
    )


def positions(raw: object) -> Positions:
    data = need_mapping(raw, "positions")
    return Positions(
        net=tuple(_position(r) for r in need_list(data.get("net"), "positions.net")),
        day=tuple(_position(r) for r in need_list(data.get("day"), "positions.day")),
    )


def margins(raw: object) -> dict[str, SegmentMargin]:
    data = need_mapping(raw, "margins")
    out: dict[str, SegmentMargin] = {}
    for segment, item in data.items():
        row = need_mapping(item, f"margins.{segment}")
        available = need_mapping(row.get("available"), f"margins.{segment}.available")
        utilised = need_mapping(row.get("utilised"), f"margins.{segment}.utilised")
        out[str(segment)] = SegmentMargin(
            segment=str(segment),
            enabled=bool(row.get("enabled")),
            net_paise=paise(row, "net", "margins"),
            cash_paise=paise(available, "cash", "margins"),
            live_balance_paise=paise(available, "live_balance", "margins"),
            utilised_debits_paise=paise(utilised, "debits", "margins"),
        )
    return out


def order_margins(raw: object) -> list[OrderMargin]:
    out: list[OrderMargin] = []
    for item in need_list(raw, "order margins"):
        row = need_mapping(item, "order margins")
        charges = row.get("charges")
        out.append(
            OrderMargin(
                exchange=text(row, "exchange", "order margins"),
                tradingsymbol=text(row, "tradingsymbol", "order margins"),
                total_paise=paise(row, "total", "order margins"),
                charges_paise=paise(charges, "total", "charges")
                if isinstance(charges, Mapping)
                else 0,
            )
        )
    return out


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def instruments_to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """Re-serialise ``KiteConnect.instruments()`` rows (typed by the client) as Kite's CSV."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(INSTRUMENT_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row.get(col)) for col in INSTRUMENT_COLUMNS])
    return buf.getvalue()
