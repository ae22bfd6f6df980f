"""Plaintext secrets that tests plant; the session-end scan proves none reached the logs."""

from __future__ import annotations

PLANTED: set[str] = set()


def plant(value: str) -> str:
    PLANTED.add(value)
    return value
