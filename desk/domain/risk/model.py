"""Inputs and outputs of the pre-trade risk checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from desk.domain.errors import ValidationError
from desk.domain.instruments import Instrument
from desk.domain.orders import OrderType, Product, TradeProposal, TransactionType


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    passed: bool
    message: str
    #: Set by the daily-loss check: the agent must be paused, not just this order refused.
    pause_agent: bool = False


@dataclass(frozen=True, slots=True)
class RiskReport:
    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def pause_agent(self) -> bool:
        return any(r.pause_agent for r in self.failures)

    def failed_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.failures)

    def summary(self) -> str:
        if self.passed:
            return f"all {len(self.results)} risk checks passed"
        return "; ".join(f"{r.name}: {r.message}" for r in self.failures)


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Per-agent limits; the defaults are the desk-wide ones. Amounts in paise."""

    allowed_exchanges: frozenset[str] = frozenset({"NSE", "BSE"})
    allowed_products: frozenset[Product] = frozenset({Product.CNC, Product.MIS})
    allowed_order_types: frozenset[OrderType] = frozenset(OrderType)
    #: None = every symbol; entries are ``SYMBOL`` or ``EXCHANGE:SYMBOL``.
    symbol_allowlist: frozenset[str] | None = None
    symbol_denylist: frozenset[str] = frozenset()
    max_order_value_paise: int = 10_000_000  # ₹1,00,000
    max_quantity: int = 1_000
    max_orders_per_day: int = 20
    max_notional_per_day_paise: int = 50_000_000  # ₹5,00,000
    max_position_exposure_paise: int = 20_000_000  # ₹2,00,000 per symbol after the fill
    fat_finger_band_pct: Decimal = Decimal("5")
    allow_amo: bool = False
    stale_approval_drift_pct: Decimal = Decimal("2")
    daily_loss_limit_paise: int = 500_000  # ₹5,000 realized loss
    mis_cutoff_minutes: int = 15

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool):
                continue
            if isinstance(value, int | Decimal) and value < 0:
                errors[f.name] = "must not be negative"
        if self.fat_finger_band_pct > 100:
            errors["fat_finger_band_pct"] = "must be at most 100"
        if errors:
            raise ValidationError("invalid risk limits", fields=errors)

    def with_overrides(self, overrides: Mapping[str, object]) -> RiskLimits:
        """These limits with an agent's overrides applied (unknown or bad keys are errors)."""
        known = {f.name for f in fields(self)}
        errors: dict[str, str] = {}
        changes: dict[str, object] = {}
        for key, raw in overrides.items():
            if key not in known:
                errors[key] = "unknown risk limit"
                continue
            try:
                changes[key] = _coerce(key, raw, getattr(self, key))
            except (ValueError, TypeError, InvalidOperation) as exc:
                errors[key] = str(exc) or "invalid value"
        if errors:
            raise ValidationError("invalid risk limits", fields=errors)
        return replace(self, **changes)  # type: ignore[arg-type]


def _coerce(key: str, raw: object, current: object) -> object:
    if key in ("symbol_allowlist",) and raw is None:
        return None
    if key == "allowed_products":
        return frozenset(Product(str(v).upper()) for v in _items(raw))
    if key == "allowed_order_types":
        return frozenset(OrderType(str(v).upper()) for v in _items(raw))
    if key in ("allowed_exchanges", "symbol_allowlist", "symbol_denylist"):
        return frozenset(str(v).strip().upper() for v in _items(raw))
    if isinstance(current, bool):
        if not isinstance(raw, bool):
            raise ValueError("must be true or false")
        return raw
    if isinstance(current, Decimal):
        if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal | float):
            raise ValueError("must be a number")
        return Decimal(repr(raw) if isinstance(raw, float) else raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError("must be a whole number")
    return raw


def _items(raw: object) -> Sequence[object]:
    if isinstance(raw, str) or not isinstance(raw, list | tuple | set | frozenset):
        raise ValueError("must be a list")
    return list(raw)


@dataclass(frozen=True, slots=True)
class RiskContext:
    """What the checks need to know about the world at the moment of checking."""

    now: datetime
    instrument: Instrument | None
    ltp: Decimal | None
    orders_today: int = 0
    notional_today_paise: int = 0
    #: Signed net quantity already held in this symbol (short < 0).
    position_quantity: int = 0
    realized_pnl_today_paise: int = 0
    #: From the broker's margins API when live; None skips the margin check.
    available_margin_paise: int | None = None
    #: From Kite's order-margins API; None means "use the order value".
    required_margin_paise: int | None = None
    #: Symbols to draw "did you mean" suggestions from when the instrument is unknown.
    known_symbols: tuple[str, ...] = field(default=())


def to_paise(amount: Decimal) -> int:
    """Rupees (Decimal) to integer paise, rounding half up."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def valuation_price(proposal: TradeProposal, ltp: Decimal | None) -> Decimal | None:
    """The price used to value an order: its limit price, else the LTP, else the trigger."""
    if proposal.order_type in (OrderType.LIMIT, OrderType.SL) and proposal.price is not None:
        return proposal.price
    if ltp is not None:
        return ltp
    return proposal.trigger_price


def order_value_paise(proposal: TradeProposal, ltp: Decimal | None) -> int | None:
    price = valuation_price(proposal, ltp)
    return None if price is None else to_paise(price * proposal.quantity)


def signed_quantity(proposal: TradeProposal) -> int:
    return (
        proposal.quantity
        if proposal.transaction_type is TransactionType.BUY
        else -proposal.quantity
    )


def rupees(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    whole, frac = divmod(abs(paise), 100)
    return f"{sign}₹{whole:,}.{frac:02d}"
