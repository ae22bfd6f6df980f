"""Trade proposals and the order vocabulary shared with Kite Connect.

A proposal is what a research run (or a person) asks the desk to trade. It is parsed from
untrusted input with :func:`parse_proposal`, which reports every bad field at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

from desk.domain.errors import ValidationError

EXCHANGES = frozenset({"NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"})
MAX_RATIONALE_CHARS = 4000
MAX_EVIDENCE_URLS = 50
_SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9&\-_.]{0,49}$")


class TransactionType(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    SL = "SL"
    SL_M = "SL-M"

    @property
    def needs_price(self) -> bool:
        return self in (OrderType.LIMIT, OrderType.SL)

    @property
    def needs_trigger(self) -> bool:
        return self in (OrderType.SL, OrderType.SL_M)

    @property
    def is_market(self) -> bool:
        """Executes at market (MARKET, SL-M): Kite requires ``market_protection`` for these."""
        return self in (OrderType.MARKET, OrderType.SL_M)


class Product(StrEnum):
    CNC = "CNC"
    MIS = "MIS"
    NRML = "NRML"


class Validity(StrEnum):
    DAY = "DAY"
    IOC = "IOC"


class Variety(StrEnum):
    REGULAR = "regular"
    AMO = "amo"


class OrderStatus(StrEnum):
    """Kite order statuses. ``UNKNOWN`` stands for anything Kite adds later."""

    OPEN = "OPEN"
    COMPLETE = "COMPLETE"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    TRIGGER_PENDING = "TRIGGER PENDING"
    PUT_ORDER_REQ_RECEIVED = "PUT ORDER REQ RECEIVED"
    VALIDATION_PENDING = "VALIDATION PENDING"
    OPEN_PENDING = "OPEN PENDING"
    MODIFY_VALIDATION_PENDING = "MODIFY VALIDATION PENDING"
    MODIFY_PENDING = "MODIFY PENDING"
    MODIFIED = "MODIFIED"
    CANCEL_PENDING = "CANCEL PENDING"
    AMO_REQ_RECEIVED = "AMO REQ RECEIVED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, raw: str) -> OrderStatus:
        try:
            return cls(raw.strip().upper())
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({OrderStatus.COMPLETE, OrderStatus.CANCELLED, OrderStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class TradeProposal:
    exchange: str
    tradingsymbol: str
    transaction_type: TransactionType
    quantity: int
    order_type: OrderType
    product: Product
    price: Decimal | None
    trigger_price: Decimal | None
    validity: Validity
    variety: Variety
    rationale: str
    evidence: tuple[str, ...]

    @property
    def instrument_key(self) -> str:
        return f"{self.exchange}:{self.tradingsymbol}"


E = TypeVar("E", bound=StrEnum)


def parse_proposal(data: Mapping[str, object]) -> TradeProposal:
    """Build a proposal from untrusted input; raise one ValidationError listing every bad field."""
    errors: dict[str, str] = {}
    exchange = _text(data, "exchange", errors, upper=True)
    if exchange and exchange not in EXCHANGES:
        errors["exchange"] = f"unknown exchange {exchange!r}; use one of {sorted(EXCHANGES)}"
    symbol = _text(data, "tradingsymbol", errors, upper=True)
    if symbol and not _SYMBOL_RE.match(symbol):
        errors["tradingsymbol"] = f"{symbol!r} is not a valid trading symbol"
    side = _choice(data, "transaction_type", TransactionType, errors, default=None)
    order_type = _choice(data, "order_type", OrderType, errors, default=None)
    product = _choice(data, "product", Product, errors, default=None)
    validity = _choice(data, "validity", Validity, errors, default=Validity.DAY)
    variety = _choice(data, "variety", Variety, errors, default=Variety.REGULAR)
    quantity = _quantity(data.get("quantity"), errors)
    price = _price(data, "price", errors)
    trigger = _price(data, "trigger_price", errors)
    rationale = _text(data, "rationale", errors)
    if len(rationale) > MAX_RATIONALE_CHARS:
        errors["rationale"] = f"at most {MAX_RATIONALE_CHARS} characters"
    evidence = _evidence(data.get("evidence", ()), errors)
    if order_type is not None:
        _price_rules(order_type, side, price, trigger, errors)
    if errors or side is None or order_type is None or product is None:
        raise ValidationError(_summary(errors), fields=errors)
    return TradeProposal(
        exchange=exchange,
        tradingsymbol=symbol,
        transaction_type=side,
        quantity=quantity,
        order_type=order_type,
        product=product,
        price=price,
        trigger_price=trigger,
        validity=validity or Validity.DAY,
        variety=variety or Variety.REGULAR,
        rationale=rationale,
        evidence=evidence,
    )


def _summary(errors: Mapping[str, str]) -> str:
    parts = "; ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
    return f"invalid trade proposal ({parts})"


def _text(
    data: Mapping[str, object], key: str, errors: dict[str, str], *, upper: bool = False
) -> str:
    raw = data.get(key)
    if not isinstance(raw, str) or not raw.strip():
        errors[key] = "required (a non-empty string)"
        return ""
    return raw.strip().upper() if upper else raw.strip()


def _choice(
    data: Mapping[str, object],
    key: str,
    enum: type[E],
    errors: dict[str, str],
    *,
    default: E | None,
) -> E | None:
    raw = data.get(key)
    if raw is None:
        if default is None:
            errors[key] = f"required; one of {[m.value for m in enum]}"
        return default
    if isinstance(raw, str):
        for member in enum:
            if raw.strip().upper() == member.value.upper():
                return member
    errors[key] = f"{raw!r} is not one of {[m.value for m in enum]}"
    return None


def _quantity(raw: object, errors: dict[str, str]) -> int:
    if isinstance(raw, bool) or raw is None:
        errors["quantity"] = "required (a positive whole number)"
        return 0
    value: int | None = None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or value <= 0:
        errors["quantity"] = f"{raw!r} is not a positive whole number"
        return 0
    return value


def to_price(raw: object) -> Decimal:
    """A positive finite Decimal from str/int/Decimal (floats go through ``repr`` once)."""
    if isinstance(raw, bool):
        raise ValueError("a boolean is not a price")
    if isinstance(raw, float):
        raw = repr(raw)
    if not isinstance(raw, str | int | Decimal):
        raise ValueError(f"{raw!r} is not a number")
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{raw!r} must be a positive number")
    return value


def _price(data: Mapping[str, object], key: str, errors: dict[str, str]) -> Decimal | None:
    raw = data.get(key)
    if raw is None or raw == "" or (not isinstance(raw, bool) and raw == 0):
        return None
    try:
        return to_price(raw)
    except ValueError as exc:
        errors[key] = str(exc)
        return None


def _price_rules(
    order_type: OrderType,
    side: TransactionType | None,
    price: Decimal | None,
    trigger: Decimal | None,
    errors: dict[str, str],
) -> None:
    if order_type.needs_price and price is None and "price" not in errors:
        errors["price"] = f"required for {order_type.value} orders"
    if not order_type.needs_price and price is not None:
        errors["price"] = f"not allowed for {order_type.value} orders"
    if order_type.needs_trigger and trigger is None and "trigger_price" not in errors:
        errors["trigger_price"] = f"required for {order_type.value} orders"
    if not order_type.needs_trigger and trigger is not None:
        errors["trigger_price"] = f"not allowed for {order_type.value} orders"
    if order_type is OrderType.SL and price is not None and trigger is not None:
        if side is TransactionType.BUY and trigger > price:
            errors["trigger_price"] = "for a BUY stop-loss the trigger must not exceed the price"
        if side is TransactionType.SELL and trigger < price:
            errors["trigger_price"] = "for a SELL stop-loss the trigger must not be below the price"


def _evidence(raw: object, errors: dict[str, str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        errors["evidence"] = "a list of http(s) URLs"
        return ()
    if len(raw) > MAX_EVIDENCE_URLS:
        errors["evidence"] = f"at most {MAX_EVIDENCE_URLS} URLs"
        return ()
    urls: list[str] = []
    for i, item in enumerate(raw):
        parts = urlsplit(item) if isinstance(item, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            errors["evidence"] = f"item {i} ({item!r}) is not an http(s) URL"
            return ()
        if item not in urls:
            urls.append(item)
    return tuple(urls)
