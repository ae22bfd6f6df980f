"""``KiteBroker``: the Broker port on the real ``kiteconnect.KiteConnect`` client.

Every client call goes through :func:`kite_call`, so callers only ever see ``BrokerError``.
Order calls (place/cancel) are rate limited on our side before anything is sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from kiteconnect import KiteConnect

from desk.adapters.kite import payloads
from desk.adapters.kite.errors import kite_call
from desk.adapters.kite.rate_limit import OrderRateLimiter, OrderRateLimits
from desk.domain.broker import (
    MARKET_PROTECTION_AUTO,
    BrokerDataError,
    BrokerOrder,
    BrokerSession,
    OrderIntent,
    OrderMargin,
    Positions,
    Quote,
    SegmentMargin,
    Trade,
)
from desk.domain.errors import ValidationError


def _price(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


class KiteBroker:
    """Kite Connect v3 through ``kiteconnect`` (sync; run it in a thread from asyncio)."""

    def __init__(
        self,
        api_key: str,
        access_token: str | None = None,
        *,
        root: str | None = None,
        timeout_seconds: float = 7.0,
        rate_limits: OrderRateLimits | None = None,
        limiter: OrderRateLimiter | None = None,
        market_protection: int = MARKET_PROTECTION_AUTO,
        on_token_expired: Callable[[], None] | None = None,
    ) -> None:
        if isinstance(market_protection, bool) or not (
            market_protection == -1 or 0 < market_protection <= 100
        ):
            raise ValidationError(
                "market_protection must be -1 (automatic) or a percentage 1-100; "
                "Kite rejects 0 for API market orders",
                fields={"market_protection": "-1 or 1-100"},
            )
        self._kite = KiteConnect(
            api_key, access_token=access_token, root=root, timeout=timeout_seconds
        )
        # One account's order budget is shared by every client on it: pass the account's
        # ``limiter`` (kept by the caller, not closed here); else this client makes its own on
        # its first order call. (A limiter runs a thread until closed: clients that only read
        # — quotes, login, margins — never start one.)
        self._owns_limiter = limiter is None
        self._limiter = limiter
        self._limits = rate_limits or OrderRateLimits()
        self._limiter_lock = threading.Lock()
        self._market_protection = market_protection
        self._on_token_expired = on_token_expired
        self._expiry_reported = False  # concurrent reads may all fail: tell the owner once
        self._expiry_lock = threading.Lock()

    # --- session ---------------------------------------------------------------------------

    def login_url(self) -> str:
        return str(self._kite.login_url())

    def generate_session(self, request_token: str, api_secret: str) -> BrokerSession:
        """Exchange a login ``request_token`` (checksum computed by the client)."""
        with kite_call("login", writes=False):
            data = self._kite.generate_session(request_token, api_secret=api_secret)
        row = payloads.need_mapping(data, "session")
        return BrokerSession(
            user_id=payloads.text(row, "user_id", "session"),
            access_token=payloads.text(row, "access_token", "session"),
            login_time=payloads.timestamp(row.get("login_time")),
        )

    def set_access_token(self, access_token: str) -> None:
        self._kite.set_access_token(access_token)
        with self._expiry_lock:
            self._expiry_reported = False

    def profile(self) -> Mapping[str, Any]:
        data = self._call("profile", False, self._kite.profile)
        return payloads.need_mapping(data, "profile")

    # --- orders ----------------------------------------------------------------------------

    def place_order(self, intent: OrderIntent) -> str:
        params = self._order_params(intent)
        self.order_limiter.acquire()
        order_id = self._call("place order", True, lambda: self._kite.place_order(**params))
        if not isinstance(order_id, str | int) or isinstance(order_id, bool) or not order_id:
            raise BrokerDataError(
                f"Kite place order returned no order id ({order_id!r}); "
                "reconcile by tag before retrying",
                outcome_unknown=True,
            )
        return str(order_id)

    def _order_params(self, intent: OrderIntent) -> dict[str, Any]:
        params: dict[str, Any] = {
            "variety": intent.variety.value,
            "exchange": intent.exchange,
            "tradingsymbol": intent.tradingsymbol,
            "transaction_type": intent.transaction_type.value,
            "quantity": intent.quantity,
            "product": intent.product.value,
            "order_type": intent.order_type.value,
            "validity": intent.validity.value,
            "tag": intent.tag,
            "price": _price(intent.price) if intent.order_type.needs_price else None,
            "trigger_price": _price(intent.trigger_price)
            if intent.order_type.needs_trigger
            else None,
        }
        if intent.order_type.is_market:
            mp = intent.market_protection
            params["market_protection"] = self._market_protection if mp in (None, 0) else mp
        return params

    def cancel_order(self, order_id: str, *, variety: str = "regular") -> str:
        self.order_limiter.acquire()
        result = self._call(
            "cancel order", True, lambda: self._kite.cancel_order(variety, order_id)
        )
        return str(result)

    def orders(self) -> Sequence[BrokerOrder]:
        return payloads.orders(self._call("order book", False, self._kite.orders))

    def order_history(self, order_id: str) -> Sequence[BrokerOrder]:
        data = self._call("order history", False, lambda: self._kite.order_history(order_id))
        return payloads.orders(data)

    def find_by_tag(self, tag: str) -> Sequence[BrokerOrder]:
        """Orders in today's book carrying ``tag`` (reconciliation after a crash/timeout)."""
        return [o for o in self.orders() if o.tag == tag]

    def trades(self) -> Sequence[Trade]:
        data = self._call("trades", False, self._kite.trades)
        return [payloads.trade(t) for t in payloads.need_list(data, "trades")]

    # --- market data, portfolio, margins --------------------------------------------------

    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        data = self._call("ltp", False, lambda: self._kite.ltp(list(instruments)))
        return {k: q.last_price for k, q in payloads.quotes(data, "ltp").items()}

    def quote(self, instruments: Sequence[str]) -> Mapping[str, Quote]:
        data = self._call("quote", False, lambda: self._kite.quote(list(instruments)))
        return payloads.quotes(data, "quote")

    def ohlc(self, instruments: Sequence[str]) -> Mapping[str, Quote]:
        data = self._call("ohlc", False, lambda: self._kite.ohlc(list(instruments)))
        return payloads.quotes(data, "ohlc")

    def positions(self) -> Positions:
        return payloads.positions(self._call("positions", False, self._kite.positions))

    def margins(self) -> Mapping[str, SegmentMargin]:
        return payloads.margins(self._call("margins", False, self._kite.margins))

    def order_margins(self, intents: Sequence[OrderIntent]) -> Sequence[OrderMargin]:
        body = [
            {
                "exchange": i.exchange,
                "tradingsymbol": i.tradingsymbol,
                "transaction_type": i.transaction_type.value,
                "variety": i.variety.value,
                "product": i.product.value,
                "order_type": i.order_type.value,
                "quantity": i.quantity,
                "price": float(i.price or 0),
                "trigger_price": float(i.trigger_price or 0),
            }
            for i in intents
        ]
        data = self._call("order margins", False, lambda: self._kite.order_margins(body))
        return payloads.order_margins(data)

    def instruments_csv(self, exchange: str | None = None) -> str:
        rows = self._call("instruments", False, lambda: self._kite.instruments(exchange))
        return payloads.instruments_to_csv(payloads.need_list(rows, "instruments"))  # type: ignore[arg-type]

    @property
    def order_limiter(self) -> OrderRateLimiter:
        """The order-call budget this client spends (its account's, or its own)."""
        with self._limiter_lock:
            if self._limiter is None:
                self._limiter = OrderRateLimiter(self._limits)
            return self._limiter

    def close(self) -> None:
        if self._owns_limiter and self._limiter is not None:
            self._limiter.close()
        self._kite.reqsession.close()

    def _call(self, operation: str, writes: bool, fn: Callable[[], Any]) -> Any:
        hook = self._token_expired if self._on_token_expired is not None else None
        with kite_call(operation, writes=writes, on_token_expired=hook):
            return fn()

    def _token_expired(self) -> None:
        """The access token was refused: report it once per token, however many calls (some
        of them concurrent) see the refusal."""
        with self._expiry_lock:
            if self._expiry_reported:
                return
            self._expiry_reported = True
        if self._on_token_expired is not None:
            self._on_token_expired()
