"""Kite checksums: the login token exchange and order postbacks (plain SHA-256, not HMAC)."""

from __future__ import annotations

import hashlib
import hmac


def login_checksum(api_key: str, request_token: str, api_secret: str) -> str:
    """``sha256_hex(api_key + request_token + api_secret)`` for ``POST /session/token``."""
    return hashlib.sha256(f"{api_key}{request_token}{api_secret}".encode()).hexdigest()


def postback_checksum(order_id: str, order_timestamp: str, api_secret: str) -> str:
    """``sha256_hex(order_id + order_timestamp + api_secret)``, timestamp exactly as sent."""
    return hashlib.sha256(f"{order_id}{order_timestamp}{api_secret}".encode()).hexdigest()


def verify_login_checksum(
    checksum: str, *, api_key: str, request_token: str, api_secret: str
) -> bool:
    expected = login_checksum(api_key, request_token, api_secret)
    return hmac.compare_digest(expected.encode(), checksum.strip().lower().encode())


def verify_postback_checksum(
    checksum: str, *, order_id: str, order_timestamp: str, api_secret: str
) -> bool:
    """Constant-time check of a postback's ``checksum`` field."""
    expected = postback_checksum(order_id, order_timestamp, api_secret)
    return hmac.compare_digest(expected.encode(), checksum.strip().lower().encode())
