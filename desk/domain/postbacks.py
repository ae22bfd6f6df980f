"""Kite order postbacks: checksum verification and the update they carry (stdlib only).

Checksum = ``sha256_hex(order_id + order_timestamp + api_secret)`` with ``order_timestamp``
exactly as the string in the payload; plain SHA-256 (not HMAC), compared in constant time.
Postbacks can repeat or arrive out of order: dedupe on ``(order_id, status, filled_quantity)``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from desk.domain.errors import AuthenticationError, ValidationError
from desk.domain.orders import OrderStatus


class PostbackChecksumError(AuthenticationError):
    """The postback's checksum does not match: it was not sent by Kite for our app."""

    code = "postback_checksum_invalid"


def postback_checksum(order_id: str, order_timestamp: str, api_secret: str) -> str:
    return hashlib.sha256(f"{order_id}{order_timestamp}{api_secret}".encode()).hexdigest()


def checksum_matches(payload: Mapping[str, object], api_secret: str) -> bool:
    order_id, stamp, given = (payload.get(k) for k in ("order_id", "order_timestamp", "checksum"))
    if not all(isinstance(v, str) and v for v in (order_id, stamp, given)) or not api_secret:
        return False
    expected = postback_checksum(str(order_id), str(stamp), api_secret)
    return hmac.compare_digest(expected.encode(), str(given).strip().lower().encode())


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """The part of a postback the desk acts on."""

    order_id: str
    status: OrderStatus
    status_raw: str
    tag: str | None
    filled_quantity: int
    average_price: Decimal
    status_message: str | None
    order_timestamp: str
    guid: str | None

    @property
    def dedupe_key(self) -> tuple[str, str, int]:
        return (self.order_id, self.status.value, self.filled_quantity)


def parse_postback(payload: Mapping[str, object], api_secret: str) -> OrderUpdate:
    """Verify the checksum, then read the fields; raises PostbackChecksumError first."""
    if not checksum_matches(payload, api_secret):
        raise PostbackChecksumError(
            "postback rejected: checksum does not match order_id + order_timestamp + api secret",
            fields={"checksum": "does not match"},
        )
    status_raw = payload.get("status")
    if not isinstance(status_raw, str) or not status_raw:
        raise ValidationError("postback has no status", fields={"status": "required"})
    return OrderUpdate(
        order_id=str(payload["order_id"]),
        status=OrderStatus.parse(status_raw),
        status_raw=status_raw,
        tag=_opt_text(payload.get("tag")),
        filled_quantity=_int(payload.get("filled_quantity")),
        average_price=_decimal(payload.get("average_price")),
        status_message=_opt_text(payload.get("status_message")),
        order_timestamp=str(payload["order_timestamp"]),
        guid=_opt_text(payload.get("guid")),
    )


def _opt_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise ValidationError("postback quantity is not a number", fields={"quantity": "number"})
    if value is None or value == "":
        return 0
    try:
        return int(str(value))
    except ValueError:
        raise ValidationError(
            f"postback filled_quantity {value!r} is not a whole number",
            fields={"filled_quantity": "a whole number"},
        ) from None


def _decimal(value: object) -> Decimal:
    if value is None or value == "" or isinstance(value, bool):
        return Decimal(0)
    try:
        result = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise ValidationError(
            f"postback average_price {value!r} is not a number",
            fields={"average_price": "a number"},
        ) from None
    return result if result.is_finite() else Decimal(0)
