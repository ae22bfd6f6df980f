"""``PaperBroker``: the Broker port simulated on a price source, booked in a ``PaperLedger``.

Rules (those of the fake Kite server, so both pass one contract suite): MARKET fills at the
LTP; a LIMIT fills at the LTP once it crosses (BUY: LTP ≤ limit, SELL: LTP ≥ limit), else it
rests ``OPEN`` until a later :meth:`PaperBroker.tick` crosses it; SL/SL-M rest in
``TRIGGER PENDING`` until the LTP reaches the trigger (BUY ≥, SELL ≤), then SL acts as a LIMIT
and SL-M as a MARKET order; an IOC order that does not fill at once is cancelled. With
``max_fill_quantity``, a crossed LIMIT (or triggered SL) order fills at most that many units
(whole lots, at least one) per match — at placement and at each later tick — so it stays
``OPEN`` with ``filled_quantity``/``pending_quantity`` until the last part fills
(``COMPLETE``); each part is one fill booked to the position at that tick's LTP, the order's
``average_price`` is the fills' average; cancelling (or an IOC's remainder) keeps the filled
part. Deterministic: the same prices give the same fills. Risk (RMS)
rejections create a ``REJECTED`` order, as Kite does: a CNC BUY needs free cash (cash minus
what open CNC BUYs block); a CNC SELL needs the quantity in the position. Bad parameters raise
``BrokerInputError`` and create nothing. AMO orders are treated like regular ones.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from desk.domain.broker import (
    BrokerInputError,
    BrokerNotFoundError,
    BrokerOrder,
    OrderIntent,
    OrderMargin,
    Position,
    Positions,
    Quote,
    SegmentMargin,
    Trade,
)
from desk.domain.clock import IST, Clock, IdGen
from desk.domain.instruments import INSTRUMENT_COLUMNS, Instrument
from desk.domain.orders import OrderStatus, OrderType, Product, TransactionType, Validity
from desk.domain.paper import AVG_QUANTUM, PaperFill
from desk.domain.risk.model import to_paise
from desk.services.ports.execution import PaperLedger
from desk.services.ports.price_source import PriceSource

LIVE = (OrderStatus.OPEN, OrderStatus.TRIGGER_PENDING)
BUY = TransactionType.BUY


class PaperBroker:
    def __init__(
        self,
        prices: PriceSource,
        ledger: PaperLedger,
        clock: Clock,
        ids: IdGen,
        *,
        instruments: Mapping[str, Instrument] | None = None,
        max_fill_quantity: int | None = None,
    ) -> None:
        if max_fill_quantity is not None and max_fill_quantity < 1:
            raise ValueError("max_fill_quantity must be at least 1 (or None: fill at once)")
        self._max_fill = max_fill_quantity
        self._prices = prices
        self._ledger = ledger
        self._clock = clock
        self._ids = ids
        self._instruments = dict(instruments or {})
        self._lock = threading.RLock()

    @property
    def max_fill_quantity(self) -> int | None:
        """At most this many units fill per price match (None: whole orders)."""
        return self._max_fill

    # --- orders ----------------------------------------------------------------------------

    def place_order(self, intent: OrderIntent) -> str:
        with self._lock:
            ltp = self._validate(intent)
            order = self._new_order(intent)
            reason = self._rms_reason(intent, ltp)
            if reason is not None:
                self._ledger.add_order_step(self._step(order, OrderStatus.REJECTED, reason))
                return order.order_id
            self._ledger.add_order_step(order)
            after = self._match(order, ltp)
            if after.status in LIVE and intent.validity is Validity.IOC:
                self._cancel(after, "IOC order not filled at once")
            return order.order_id

    def tick(self) -> list[BrokerOrder]:
        """Advance the price source one step and match resting orders; returns the orders
        that changed."""
        with self._lock:
            self._prices.advance()
            live = [o for o in self._ledger.orders() if o.status in LIVE]
            prices = self._prices.ltp(sorted({self._key(o) for o in live}))
            changed = []
            for order in live:
                ltp = prices.get(self._key(order))
                if ltp is not None:
                    after = self._match(order, ltp)
                    if after is not order:
                        changed.append(after)
            return changed

    def cancel_order(self, order_id: str, *, variety: str = "regular") -> str:
        with self._lock:
            order = self._current(order_id)
            if order.status not in LIVE:
                raise BrokerInputError(
                    f"order {order_id} cannot be cancelled as it is {order.status.value}",
                    upstream_type="InputException",
                )
            self._cancel(order, None)
            return order_id

    def orders(self) -> Sequence[BrokerOrder]:
        return self._ledger.orders()

    def order_history(self, order_id: str) -> Sequence[BrokerOrder]:
        history = self._ledger.order_history(order_id)
        if not history:
            raise BrokerNotFoundError(f"paper order {order_id} not found")
        return history

    def trades(self) -> Sequence[Trade]:
        return [
            Trade(
                trade_id=f.fill_id,
                order_id=f.order_id,
                exchange=f.exchange,
                tradingsymbol=f.tradingsymbol,
                transaction_type=f.transaction_type,
                quantity=f.quantity,
                average_price=f.price,
                fill_timestamp=f.filled_at.astimezone(IST),
            )
            for f in self._ledger.fills()
        ]

    # --- rules -----------------------------------------------------------------------------

    def _validate(self, intent: OrderIntent) -> Decimal:
        key = intent.instrument_key
        inst = self._instruments.get(key)
        ltp = self._prices.ltp([key]).get(key)
        if (self._instruments and inst is None) or ltp is None:
            raise BrokerInputError(
                f"paper broker: unknown or unpriced instrument {key}",
                upstream_type="InputException",
                fields={"tradingsymbol": "unknown instrument"},
            )
        if inst is not None:
            why = inst.untradable_reason(self._clock.now().astimezone(IST).date())
            if why is not None:
                raise BrokerInputError(f"paper broker: {why}", fields={"tradingsymbol": why})
            if inst.lot_size > 0 and intent.quantity % inst.lot_size:
                raise BrokerInputError(
                    f"quantity {intent.quantity} is not a multiple of lot size {inst.lot_size}",
                    fields={"quantity": f"multiple of {inst.lot_size}"},
                )
            for name in ("price", "trigger_price"):
                value = getattr(intent, name)
                if value is not None and inst.tick_size > 0 and value % inst.tick_size:
                    raise BrokerInputError(
                        f"{name} {value} is not a multiple of tick size {inst.tick_size}",
                        fields={name: f"multiple of {inst.tick_size}"},
                    )
        return ltp

    def _rms_reason(self, intent: OrderIntent, ltp: Decimal) -> str | None:
        if intent.product is not Product.CNC:
            return None
        if intent.transaction_type is BUY:
            need = to_paise(
                _block_price(intent.order_type, intent.price, intent.trigger_price, ltp)
                * intent.quantity
            )
            free = self._ledger.cash_paise() - self._blocked_paise()
            if need > free:
                return (
                    f"Insufficient funds. Required: {need / 100:.2f}, available: {free / 100:.2f}"
                )
            return None
        pos = self._ledger.position(intent.exchange, intent.tradingsymbol, Product.CNC.value)
        held = pos.quantity if pos else 0
        if intent.quantity > held:
            return f"Insufficient holdings: selling {intent.quantity}, holding {held}"
        return None

    def _blocked_paise(self) -> int:
        total = 0
        for o in self._ledger.orders():
            if o.status in LIVE and o.transaction_type is BUY and o.product == Product.CNC.value:
                price = (
                    o.price if o.order_type in (OrderType.LIMIT, OrderType.SL) else o.trigger_price
                )
                total += to_paise(price * o.pending_quantity)
        return total

    def _match(self, order: BrokerOrder, ltp: Decimal) -> BrokerOrder:
        buy = order.transaction_type is BUY
        if order.status is OrderStatus.TRIGGER_PENDING:
            if not (ltp >= order.trigger_price if buy else ltp <= order.trigger_price):
                return order
            if order.order_type is OrderType.SL:
                order = self._step(order, OrderStatus.OPEN, None)
                self._ledger.add_order_step(order)
        limited = order.order_type in (OrderType.LIMIT, OrderType.SL)
        if limited and not (ltp <= order.price if buy else ltp >= order.price):
            return order
        return self._fill(order, ltp)

    def _fill(self, order: BrokerOrder, ltp: Decimal) -> BrokerOrder:
        size = self._fill_size(order)
        filled = order.filled_quantity + size
        average = ltp
        if order.filled_quantity:  # a later part: the average over every fill so far
            paid = order.average_price * order.filled_quantity + ltp * size
            average = (paid / filled).quantize(AVG_QUANTUM, rounding=ROUND_HALF_UP)
        status = OrderStatus.COMPLETE if filled == order.quantity else order.status
        done = replace(
            self._step(order, status, None),
            filled_quantity=filled,
            pending_quantity=order.quantity - filled,
            average_price=average,
        )
        fill = PaperFill(
            fill_id=self._ids.new_id(),
            order_id=order.order_id,
            tag=order.tag,
            exchange=order.exchange,
            tradingsymbol=order.tradingsymbol,
            product=order.product,
            transaction_type=order.transaction_type,
            quantity=size,
            price=ltp,
            filled_at=self._clock.now(),
        )
        self._ledger.record_fill(done, fill)
        return done

    def _fill_size(self, order: BrokerOrder) -> int:
        """Units this match fills: all that is left, or (LIMIT/SL with ``max_fill_quantity``)
        at most that many, in whole lots."""
        left = order.quantity - order.filled_quantity
        if self._max_fill is None or order.order_type not in (OrderType.LIMIT, OrderType.SL):
            return left
        inst = self._instruments.get(self._key(order))
        lot = inst.lot_size if inst is not None and inst.lot_size > 0 else 1
        return min(left, max(lot, self._max_fill // lot * lot))

    def _cancel(self, order: BrokerOrder, message: str | None) -> None:
        cancelled = replace(
            self._step(order, OrderStatus.CANCELLED, message),
            pending_quantity=0,
            cancelled_quantity=order.quantity - order.filled_quantity,
        )
        self._ledger.add_order_step(cancelled)

    # --- helpers ---------------------------------------------------------------------------

    def _new_order(self, intent: OrderIntent) -> BrokerOrder:
        waits = intent.order_type in (OrderType.SL, OrderType.SL_M)
        status = OrderStatus.TRIGGER_PENDING if waits else OrderStatus.OPEN
        return BrokerOrder(
            order_id=self._ids.new_id(),
            status=status,
            status_raw=status.value,
            status_message=None,
            tag=intent.tag,
            exchange=intent.exchange,
            tradingsymbol=intent.tradingsymbol,
            transaction_type=intent.transaction_type,
            order_type=intent.order_type,
            product=intent.product.value,
            variety=intent.variety.value,
            validity=intent.validity.value,
            quantity=intent.quantity,
            filled_quantity=0,
            pending_quantity=intent.quantity,
            cancelled_quantity=0,
            price=intent.price or Decimal(0),
            trigger_price=intent.trigger_price or Decimal(0),
            average_price=Decimal(0),
            order_timestamp=self._clock.now().astimezone(IST),
        )

    @staticmethod
    def _step(order: BrokerOrder, status: OrderStatus, message: str | None) -> BrokerOrder:
        final = status.is_final
        return replace(
            order,
            status=status,
            status_raw=status.value,
            status_message=message,
            pending_quantity=0 if final else order.pending_quantity,
        )

    def _current(self, order_id: str) -> BrokerOrder:
        history = self._ledger.order_history(order_id)
        if not history:
            raise BrokerNotFoundError(f"paper order {order_id} not found")
        return history[-1]

    @staticmethod
    def _key(order: BrokerOrder) -> str:
        return f"{order.exchange}:{order.tradingsymbol}"

    # --- market data, portfolio, margins ---------------------------------------------------

    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        return self._prices.ltp(instruments)

    def quote(self, instruments: Sequence[str]) -> Mapping[str, Quote]:
        now = self._clock.now().astimezone(IST)
        return {
            key: Quote(key=key, instrument_token=self._token(key), last_price=p, timestamp=now)
            for key, p in self._prices.ltp(instruments).items()
        }

    def ohlc(self, instruments: Sequence[str]) -> Mapping[str, Quote]:
        return self.quote(instruments)

    def _token(self, key: str) -> int:
        inst = self._instruments.get(key)
        return inst.instrument_token if inst else 0

    def positions(self) -> Positions:
        rows = list(self._ledger.positions())
        prices = self._prices.ltp(sorted({f"{p.exchange}:{p.tradingsymbol}" for p in rows}))
        net = []
        for p in rows:
            last = prices.get(f"{p.exchange}:{p.tradingsymbol}", p.average_price)
            unrealised = p.unrealized_paise(last)
            net.append(
                Position(
                    exchange=p.exchange,
                    tradingsymbol=p.tradingsymbol,
                    product=p.product,
                    quantity=p.quantity,
                    average_price=p.average_price,
                    last_price=last,
                    pnl_paise=p.realized_paise + unrealised,
                    realised_paise=p.realized_paise,
                    unrealised_paise=unrealised,
                )
            )
        return Positions(net=tuple(net), day=tuple(net))

    def margins(self) -> Mapping[str, SegmentMargin]:
        cash = self._ledger.cash_paise()
        blocked = self._blocked_paise()
        equity = SegmentMargin("equity", True, cash - blocked, cash, cash - blocked, blocked)
        return {"equity": equity}

    def order_margins(self, intents: Sequence[OrderIntent]) -> Sequence[OrderMargin]:
        prices = self._prices.ltp(sorted({i.instrument_key for i in intents}))
        out = []
        for i in intents:
            ltp = prices.get(i.instrument_key, Decimal(0))
            value = to_paise(_block_price(i.order_type, i.price, i.trigger_price, ltp) * i.quantity)
            out.append(OrderMargin(i.exchange, i.tradingsymbol, value, 0))
        return out

    def instruments_csv(self, exchange: str | None = None) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(INSTRUMENT_COLUMNS)
        for i in self._instruments.values():
            if exchange is None or i.exchange == exchange:
                writer.writerow(_instrument_row(i))
        return buf.getvalue()


def _block_price(
    order_type: OrderType, price: Decimal | None, trigger: Decimal | None, ltp: Decimal
) -> Decimal:
    if order_type in (OrderType.LIMIT, OrderType.SL) and price is not None:
        return price
    if order_type is OrderType.SL_M and trigger is not None:
        return max(trigger, ltp)
    return ltp


def _instrument_row(i: Instrument) -> list[str]:
    return [
        str(i.instrument_token),
        str(i.exchange_token),
        i.tradingsymbol,
        i.name,
        str(i.last_price),
        i.expiry.isoformat() if i.expiry else "",
        str(i.strike),
        str(i.tick_size),
        str(i.lot_size),
        i.instrument_type,
        i.segment,
        i.exchange,
    ]
