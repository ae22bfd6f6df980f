"""Encryption of secrets at rest."""

from __future__ import annotations

from typing import Protocol


class Cipher(Protocol):
    @property
    def current_key_id(self) -> str:
        """Short fingerprint of the newest key (safe to show and store)."""
        ...

    @property
    def key_ids(self) -> list[str]:
        """Fingerprints of every configured key, newest first."""
        ...

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, token: str) -> str:
        """Raises VaultError when no configured key opens the token."""
        ...

    def rotate(self, token: str) -> str:
        """Re-encrypt under the newest key."""
        ...
