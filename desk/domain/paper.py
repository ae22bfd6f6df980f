"""Paper trading bookkeeping (pure): fills, net positions, cash and realized P&L.

Positions are netted per ``(exchange, tradingsymbol, product)`` like Kite's ``net``
positions. Average prices are ``Decimal`` rupees quantized to 4 places (half up); cash and
P&L are integer paise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from desk.domain.orders import TransactionType
from desk.domain.risk.model import to_paise

AVG_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class PaperFill:
    fill_id: str
    order_id: str
    tag: str | None
    exchange: str
    tradingsymbol: str
    product: str
    transaction_type: TransactionType
    quantity: int
    price: Decimal
    filled_at: datetime

    @property
    def signed_quantity(self) -> int:
        return self.quantity if self.transaction_type is TransactionType.BUY else -self.quantity

    @property
    def value_paise(self) -> int:
        return to_paise(self.price * self.quantity)


@dataclass(frozen=True, slots=True)
class PaperPosition:
    exchange: str
    tradingsymbol: str
    product: str
    quantity: int  # net; negative = short
    average_price: Decimal  # of the open quantity; 0 when flat
    realized_paise: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.exchange, self.tradingsymbol, self.product)

    def unrealized_paise(self, last_price: Decimal) -> int:
        return to_paise((last_price - self.average_price) * self.quantity)


@dataclass(frozen=True, slots=True)
class FillEffect:
    position: PaperPosition
    cash_delta_paise: int
    realized_delta_paise: int


def _avg(value: Decimal) -> Decimal:
    return value.quantize(AVG_QUANTUM, rounding=ROUND_HALF_UP)


def apply_fill(position: PaperPosition | None, fill: PaperFill) -> FillEffect:
    """The position, cash change and realized P&L after ``fill``."""
    qty = position.quantity if position else 0
    avg = position.average_price if position else Decimal(0)
    realized = position.realized_paise if position else 0
    delta = fill.signed_quantity
    realized_delta = 0
    if qty == 0 or (qty > 0) == (delta > 0):
        new_avg = (abs(qty) * avg + abs(delta) * fill.price) / (abs(qty) + abs(delta))
    else:
        closing = min(abs(qty), abs(delta))
        direction = 1 if qty > 0 else -1
        realized_delta = to_paise((fill.price - avg) * closing * direction)
        remaining = qty + delta
        if remaining == 0:
            new_avg = Decimal(0)
        elif (remaining > 0) == (qty > 0):
            new_avg = avg
        else:  # flipped through flat: the rest opens at the fill price
            new_avg = fill.price
    cash = -fill.value_paise if fill.transaction_type is TransactionType.BUY else fill.value_paise
    return FillEffect(
        position=PaperPosition(
            exchange=fill.exchange,
            tradingsymbol=fill.tradingsymbol,
            product=fill.product,
            quantity=qty + delta,
            average_price=_avg(new_avg),
            realized_paise=realized + realized_delta,
        ),
        cash_delta_paise=cash,
        realized_delta_paise=realized_delta,
    )
