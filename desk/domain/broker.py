"""What a broker takes and returns, and how it fails. Broker-neutral (Kite, paper, fakes).

Prices are ``Decimal`` rupees; amounts (P&L, margins, values) are integer paise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from desk.domain.errors import DeskError, ValidationError
from desk.domain.orders import (
    OrderStatus,
    OrderType,
    Product,
    TransactionType,
    Validity,
    Variety,
)

MAX_TAG_LENGTH = 20
_TAG_RE = re.compile(r"^[A-Za-z0-9]{1,20}$")
#: Kite's "automatic" market protection; 0 (none) is rejected for API market orders.
MARKET_PROTECTION_AUTO = -1


def validate_tag(tag: str) -> str:
    """Kite tags are alphanumeric, at most 20 characters; they carry the idempotency key."""
    if not _TAG_RE.match(tag):
        raise ValidationError(
            f"order tag {tag!r} must be 1-{MAX_TAG_LENGTH} letters or digits",
            fields={"tag": f"1-{MAX_TAG_LENGTH} alphanumeric characters"},
        )
    return tag


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """One order to place. ``tag`` is the idempotency key, echoed in the order book."""

    tag: str
    exchange: str
    tradingsymbol: str
    transaction_type: TransactionType
    quantity: int
    order_type: OrderType
    product: Product
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    validity: Validity = Validity.DAY
    variety: Variety = Variety.REGULAR
    #: None = the broker adapter's default (Kite: -1 automatic) for MARKET / SL-M orders.
    market_protection: int | None = None

    def __post_init__(self) -> None:
        validate_tag(self.tag)
        errors: dict[str, str] = {}
        if self.quantity <= 0:
            errors["quantity"] = "must be positive"
        if self.order_type.needs_price and self.price is None:
            errors["price"] = f"required for {self.order_type.value}"
        if self.order_type.needs_trigger and self.trigger_price is None:
            errors["trigger_price"] = f"required for {self.order_type.value}"
        mp = self.market_protection
        if mp is not None and (isinstance(mp, bool) or not (mp == -1 or 0 <= mp <= 100)):
            errors["market_protection"] = "-1 (automatic) or a percentage 0-100"
        if errors:
            detail = "; ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
            raise ValidationError(f"invalid order intent ({detail})", fields=errors)

    @property
    def instrument_key(self) -> str:
        return f"{self.exchange}:{self.tradingsymbol}"


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """One order as the broker reports it (order book row or one history step)."""

    order_id: str
    status: OrderStatus
    status_raw: str
    status_message: str | None
    tag: str | None
    exchange: str
    tradingsymbol: str
    transaction_type: TransactionType
    order_type: OrderType
    product: str
    variety: str
    validity: str
    quantity: int
    filled_quantity: int
    pending_quantity: int
    cancelled_quantity: int
    price: Decimal
    trigger_price: Decimal
    average_price: Decimal
    #: Aware (IST wall-clock from Kite, made aware), or None if the broker sent none.
    order_timestamp: datetime | None
    exchange_order_id: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status.is_final


@dataclass(frozen=True, slots=True)
class Trade:
    trade_id: str
    order_id: str
    exchange: str
    tradingsymbol: str
    transaction_type: TransactionType
    quantity: int
    average_price: Decimal
    fill_timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class Ohlc:
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    """Market data for one ``EXCHANGE:SYMBOL``; the fields a source lacks are None."""

    key: str
    instrument_token: int
    last_price: Decimal
    ohlc: Ohlc | None = None
    volume: int | None = None
    timestamp: datetime | None = None
    lower_circuit_limit: Decimal | None = None
    upper_circuit_limit: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Position:
    exchange: str
    tradingsymbol: str
    product: str
    quantity: int
    average_price: Decimal
    last_price: Decimal
    pnl_paise: int
    realised_paise: int
    unrealised_paise: int

    @property
    def key(self) -> str:
        return f"{self.exchange}:{self.tradingsymbol}"


@dataclass(frozen=True, slots=True)
class Positions:
    net: tuple[Position, ...]
    day: tuple[Position, ...]


@dataclass(frozen=True, slots=True)
class SegmentMargin:
    segment: str
    enabled: bool
    net_paise: int
    cash_paise: int
    live_balance_paise: int
    utilised_debits_paise: int


@dataclass(frozen=True, slots=True)
class OrderMargin:
    """Margin the broker would block for one order (Kite ``/margins/orders``)."""

    exchange: str
    tradingsymbol: str
    total_paise: int
    charges_paise: int


@dataclass(frozen=True, slots=True)
class BrokerSession:
    """Result of a login token exchange."""

    user_id: str
    access_token: str = field(repr=False)
    login_time: datetime | None


# --- errors -------------------------------------------------------------------------------


class BrokerError(DeskError):
    """A broker call failed. ``retry_safe``: repeating it cannot double an order.

    ``outcome_unknown``: the broker may or may not have acted (timeout after sending, 5xx):
    reconcile via the order book (match the tag) before any retry.
    """

    code = "broker_error"
    http_status = 502
    exit_code = 69

    def __init__(
        self,
        message: str,
        *,
        retry_safe: bool = False,
        outcome_unknown: bool = False,
        upstream_type: str | None = None,
        upstream_status: int | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, fields=fields)
        self.retry_safe = retry_safe
        self.outcome_unknown = outcome_unknown
        self.upstream_type = upstream_type
        self.upstream_status = upstream_status


class BrokerAuthError(BrokerError):
    """The access token is expired or invalid: the owner must log in to the broker again."""

    code = "broker_token_expired"
    http_status = 409


class BrokerPermissionError(BrokerError):
    """The account or app may not do this (segment not enabled, IP not whitelisted...)."""

    code = "broker_permission_denied"
    http_status = 403


class BrokerInputError(BrokerError):
    """The broker refused the parameters (bad symbol, bad price, missing field...)."""

    code = "broker_input_error"
    http_status = 422


class BrokerRejectedError(BrokerError):
    """The broker or exchange rejected the order (margin, holdings, RMS, order rules)."""

    code = "broker_rejected"
    http_status = 422


class BrokerNotFoundError(BrokerError):
    code = "broker_not_found"
    http_status = 404


class BrokerUnavailableError(BrokerError):
    """The broker could not be reached or is down; see ``retry_safe`` / ``outcome_unknown``."""

    code = "broker_unavailable"
    http_status = 503


class BrokerRateLimitedError(BrokerUnavailableError):
    """Refused for rate (by the broker's 429 or by our own limiter before sending)."""

    code = "broker_rate_limited"
    http_status = 429


class BrokerDataError(BrokerError):
    """The broker's answer could not be understood (malformed body, unknown shape)."""

    code = "broker_bad_response"
    http_status = 502
