"""Kite Connect adapter: ``KiteBroker``, checksums, rate limits (the fake server is separate)."""

from desk.adapters.kite.broker import KiteBroker
from desk.adapters.kite.checksum import (
    login_checksum,
    postback_checksum,
    verify_login_checksum,
    verify_postback_checksum,
)
from desk.adapters.kite.rate_limit import OrderRateLimits

__all__ = [
    "KiteBroker",
    "OrderRateLimits",
    "login_checksum",
    "postback_checksum",
    "verify_login_checksum",
    "verify_postback_checksum",
]
