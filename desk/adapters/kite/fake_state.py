"""The stateful core of the fake Kite server: sessions, prices, an order book, positions.

Pure Python and thread-safe (the server runs in its own thread; tests poke the state from
theirs). Rules: MARKET completes at the LTP; LIMIT completes when it crosses the LTP, else
stays OPEN until :meth:`FakeKiteState.set_ltp` makes it cross; SL/SL-M wait in
``TRIGGER PENDING``; AMO orders stay ``AMO REQ RECEIVED``; orders over ``max_quantity`` or
on ``reject_symbols`` are accepted and then ``REJECTED`` (as Kite's RMS does).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from desk.adapters.kite.checksum import login_checksum, postback_checksum
from desk.domain.clock import IST

Json = dict[str, Any]
LIVE = ("OPEN", "TRIGGER PENDING", "AMO REQ RECEIVED")


class FakeKiteError(Exception):
    """An error response: HTTP status + Kite ``error_type`` + message."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def num(value: Decimal) -> float | int:
    """Kite's wire format: JSON numbers (ints when whole)."""
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class FakeOrder:
    order_id: str
    params: dict[str, str]
    instrument_token: int
    placed_at: str
    status: str = "PUT ORDER REQ RECEIVED"
    status_message: str | None = None
    filled: int = 0
    average_price: Decimal = Decimal(0)
    history: list[Json] = field(default_factory=list)

    @property
    def quantity(self) -> int:
        return int(self.params["quantity"])

    def price(self, key: str) -> Decimal:
        return Decimal(self.params.get(key) or "0")


@dataclass
class _Book:
    buy_qty: int = 0
    buy_value: Decimal = Decimal(0)
    sell_qty: int = 0
    sell_value: Decimal = Decimal(0)


class FakeKiteState:
    def __init__(
        self,
        fixtures_dir: Path,
        *,
        api_key: str = "fake_api_key",
        api_secret: str = "fake_api_secret",  # noqa: S107 - a fake's well-known test secret
        access_token: str = "fake_access_token",  # noqa: S107
        now: Callable[[], datetime],
        max_quantity: int = 100_000,
    ) -> None:
        self.api_key, self.api_secret = api_key, api_secret
        self._now = now
        self.max_quantity = max_quantity
        self.reject_symbols: set[str] = set()
        self.lock = threading.RLock()
        self.access_tokens: set[str] = {access_token}
        self.used_request_tokens: set[str] = set()
        self.instruments_csv = (fixtures_dir / "instruments.csv").read_text(encoding="utf-8")
        self.profile: Json = json.loads((fixtures_dir / "profile.json").read_text("utf-8"))["data"]
        self.session: Json = json.loads((fixtures_dir / "session.json").read_text("utf-8"))["data"]
        self.margins: Json = json.loads((fixtures_dir / "margins.json").read_text("utf-8"))["data"]
        self.instruments: dict[str, dict[str, str]] = {}
        self.ltp: dict[str, Decimal] = {}
        self.close: dict[str, Decimal] = {}
        for row in csv.DictReader(io.StringIO(self.instruments_csv)):
            key = f"{row['exchange']}:{row['tradingsymbol']}"
            self.instruments[key] = row
            self.ltp[key] = self.close[key] = Decimal(row["last_price"])
        self.orders: dict[str, FakeOrder] = {}
        self.trades: list[Json] = []
        self._books: dict[tuple[str, str, str], _Book] = {}
        self._ids = itertools.count(1)

    # --- time and ids --------------------------------------------------------------------

    def stamp(self) -> str:
        return self._now().astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")

    def _next_id(self) -> str:
        return str(2_600_000_000_000_000_000 + next(self._ids))

    # --- sessions ------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("token "):
            return False
        key, _, token = header.removeprefix("token ").partition(":")
        with self.lock:
            return key == self.api_key and token in self.access_tokens

    def expire_tokens(self) -> None:
        """Every access token stops working (as at ~06:00 IST): calls get 403 TokenException."""
        with self.lock:
            self.access_tokens.clear()

    def create_session(self, api_key: str, request_token: str, checksum: str) -> Json:
        expected = login_checksum(self.api_key, request_token, self.api_secret)
        if api_key != self.api_key or checksum != expected:
            raise FakeKiteError(403, "TokenException", "Invalid `checksum`.")
        token = f"at{next(self._ids):030d}"  # 32 characters, like real access tokens
        with self.lock:
            if request_token in self.used_request_tokens:  # request tokens are single-use
                raise FakeKiteError(403, "TokenException", "Token is invalid or has expired.")
            self.used_request_tokens.add(request_token)
            self.access_tokens.add(token)
        return {
            **self.session,
            "api_key": api_key,
            "access_token": token,
            "login_time": self.stamp(),
        }

    # --- orders --------------------------------------------------------------------------

    def place(self, variety: str, params: Mapping[str, str]) -> str:
        p = dict(params)
        key = f"{p.get('exchange', '')}:{p.get('tradingsymbol', '')}"
        self._validate(variety, p, key)
        with self.lock:
            order = FakeOrder(
                order_id=self._next_id(),
                params={**p, "variety": variety},
                instrument_token=int(self.instruments[key]["instrument_token"]),
                placed_at=self.stamp(),
            )
            self.orders[order.order_id] = order
            for status in ("PUT ORDER REQ RECEIVED", "VALIDATION PENDING"):
                self._move(order, status)
            self._route(order, key)
        return order.order_id

    def _validate(self, variety: str, p: Mapping[str, str], key: str) -> None:
        def bad(message: str) -> FakeKiteError:
            return FakeKiteError(400, "InputException", message)

        for name in ("exchange", "tradingsymbol", "transaction_type", "quantity", "product"):
            if not p.get(name):
                raise bad(f"Missing or empty field `{name}`.")
        if variety not in ("regular", "amo", "co", "iceberg", "auction"):
            raise bad("Invalid `variety`.")
        inst = self.instruments.get(key)
        if inst is None or inst["segment"] == "INDICES":
            raise bad("Invalid `tradingsymbol`.")
        if len(p.get("tag", "")) > 20:
            raise bad("Invalid `tag`: length should be at most 20 characters.")
        order_type = p.get("order_type", "")
        if order_type not in ("MARKET", "LIMIT", "SL", "SL-M"):
            raise bad("Invalid `order_type`.")
        if order_type in ("MARKET", "SL-M") and p.get("market_protection", "0") in ("0", ""):
            raise bad("Market orders without market protection are not allowed via API.")
        if not p["quantity"].isdigit() or int(p["quantity"]) % max(int(inst["lot_size"]), 1):
            raise bad("Quantity should be a multiple of lot size.")
        tick = Decimal(inst["tick_size"]) or Decimal("0.01")
        for name in ("price", "trigger_price"):
            value = Decimal(p.get(name) or "0")
            if value % tick:
                raise bad(f"Invalid `{name}`: not a multiple of tick size {tick}.")

    def _route(self, order: FakeOrder, key: str) -> None:
        symbol = order.params["tradingsymbol"]
        if order.quantity > self.max_quantity or symbol in self.reject_symbols:
            reason = f"RMS:Rule: Quantity > {self.max_quantity} or symbol blocked for {symbol}"
            order.status_message = reason
            self._move(order, "REJECTED")
            return
        if order.params["variety"] == "amo":
            self._move(order, "AMO REQ RECEIVED")
            return
        self._move(order, "OPEN PENDING")
        if order.params["order_type"] in ("SL", "SL-M"):
            self._move(order, "TRIGGER PENDING")
        else:
            self._move(order, "OPEN")
        self._match(order, key)

    def _match(self, order: FakeOrder, key: str) -> None:
        ltp = self.ltp[key]
        buy = order.params["transaction_type"] == "BUY"
        kind = order.params["order_type"]
        if order.status == "TRIGGER PENDING":
            trigger = order.price("trigger_price")
            if not (ltp >= trigger if buy else ltp <= trigger):
                return
            if kind == "SL":
                self._move(order, "OPEN")
        if order.status not in ("OPEN", "TRIGGER PENDING"):
            return
        if kind in ("LIMIT", "SL"):
            limit = order.price("price")
            if not (ltp <= limit if buy else ltp >= limit):
                return
        self._fill(order, key, ltp)

    def _fill(self, order: FakeOrder, key: str, price: Decimal) -> None:
        order.filled, order.average_price = order.quantity, price
        p = order.params
        book = self._books.setdefault((p["exchange"], p["tradingsymbol"], p["product"]), _Book())
        if p["transaction_type"] == "BUY":
            book.buy_qty += order.quantity
            book.buy_value += price * order.quantity
        else:
            book.sell_qty += order.quantity
            book.sell_value += price * order.quantity
        self._move(order, "COMPLETE")
        self.trades.append(self._trade_dict(order))

    def _move(self, order: FakeOrder, status: str) -> None:
        order.status = status
        order.history.append(self.order_dict(order))

    def set_ltp(self, key: str, price: Decimal) -> None:
        """Move the market; resting orders that now cross are filled."""
        with self.lock:
            if key not in self.instruments:
                raise KeyError(key)
            self.ltp[key] = price
            for order in list(self.orders.values()):
                p = order.params
                if f"{p['exchange']}:{p['tradingsymbol']}" == key and order.status in LIVE[:2]:
                    self._match(order, key)

    def cancel(self, order_id: str) -> str:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise FakeKiteError(404, "InputException", "Couldn't find that `order_id`.")
            if order.status not in LIVE:
                raise FakeKiteError(
                    400, "InputException", f"Order cannot be cancelled as it is {order.status}."
                )
            self._move(order, "CANCEL PENDING")
            self._move(order, "CANCELLED")
        return order_id

    def history(self, order_id: str) -> list[Json]:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise FakeKiteError(404, "InputException", "Couldn't find that `order_id`.")
            return list(order.history)

    def order_book(self) -> list[Json]:
        with self.lock:
            return [self.order_dict(o) for o in self.orders.values()]

    def order_trades(self, order_id: str) -> list[Json]:
        with self.lock:
            return [t for t in self.trades if t["order_id"] == order_id]

    # --- serialisation (shapes of orders.json / trades.json / postback.json) -------------

    def order_dict(self, o: FakeOrder) -> Json:
        p = o.params
        done = o.status in ("COMPLETE", "CANCELLED", "REJECTED")
        cancelled = o.quantity - o.filled if o.status == "CANCELLED" else 0
        tag = p.get("tag") or None
        stamp = self.stamp()
        return {
            "placed_by": self.profile["user_id"],
            "order_id": o.order_id,
            "exchange_order_id": None if o.status == "REJECTED" else f"1{o.order_id[-15:]}",
            "parent_order_id": None,
            "status": o.status,
            "status_message": o.status_message,
            "status_message_raw": o.status_message,
            "order_timestamp": o.placed_at,
            "exchange_update_timestamp": stamp if done else None,
            "exchange_timestamp": stamp if o.status != "REJECTED" else None,
            "variety": p["variety"],
            "modified": False,
            "exchange": p["exchange"],
            "tradingsymbol": p["tradingsymbol"],
            "instrument_token": o.instrument_token,
            "order_type": p["order_type"],
            "transaction_type": p["transaction_type"],
            "validity": p.get("validity") or "DAY",
            "product": p["product"],
            "quantity": o.quantity,
            "disclosed_quantity": int(p.get("disclosed_quantity") or 0),
            "price": num(o.price("price")),
            "trigger_price": num(o.price("trigger_price")),
            "average_price": num(o.average_price),
            "filled_quantity": o.filled,
            "pending_quantity": 0 if done else o.quantity - o.filled,
            "cancelled_quantity": cancelled,
            "market_protection": int(p.get("market_protection") or 0),
            "meta": {},
            "tag": tag,
            "tags": [tag] if tag else None,
            "guid": f"guid{o.order_id[-8:]}",
        }

    def _trade_dict(self, o: FakeOrder) -> Json:
        p = o.params
        stamp = self.stamp()
        return {
            "trade_id": str(10_000_000 + len(self.trades) + 1),
            "order_id": o.order_id,
            "exchange": p["exchange"],
            "tradingsymbol": p["tradingsymbol"],
            "instrument_token": o.instrument_token,
            "product": p["product"],
            "average_price": num(o.average_price),
            "quantity": o.filled,
            "exchange_order_id": f"1{o.order_id[-15:]}",
            "transaction_type": p["transaction_type"],
            "fill_timestamp": stamp,
            "order_timestamp": stamp[11:],
            "exchange_timestamp": stamp,
        }

    def postback_payload(self, order_id: str, api_secret: str | None = None) -> Json:
        """The body Kite would POST to the postback URL for this order's current state."""
        with self.lock:
            order = self.orders[order_id]
            body = self.order_dict(order)
        body.pop("modified")
        body.pop("tags")
        secret = self.api_secret if api_secret is None else api_secret
        checksum = postback_checksum(order_id, body["order_timestamp"], secret)
        extra = {"user_id": body["placed_by"], "app_id": 1234, "checksum": checksum}
        return {**extra, "unfilled_quantity": body["pending_quantity"], **body}
