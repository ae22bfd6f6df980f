"""Fernet encryption of secrets at rest, with key rotation (MultiFernet).

Keys come from ``DESK_SECRET_KEYS`` (newest first) or, with no setting at all, from a key
file generated on first start under ``DESK_HOME``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from desk.domain.errors import ConfigurationError, VaultError


def key_fingerprint(key: str) -> str:
    """A short, non-reversible id for a key (safe to store next to each ciphertext)."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:12]


def validate_key(key: str, position: int) -> str:
    text = key.strip()
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigurationError(
            f"DESK_SECRET_KEYS: key #{position} is not a valid Fernet key "
            "(expected 32 url-safe base64-encoded bytes; make one with `desk keys generate`)"
        )
    return text


def parse_keys(value: str) -> list[str]:
    parts = [p for p in (s.strip() for s in value.split(",")) if p]
    if not parts:
        raise ConfigurationError("DESK_SECRET_KEYS is set but holds no key")
    keys = [validate_key(p, i + 1) for i, p in enumerate(parts)]
    if len(set(keys)) != len(keys):
        raise ConfigurationError("DESK_SECRET_KEYS lists the same key twice")
    return keys


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def load_or_create_keyfile(path: Path) -> tuple[list[str], bool]:
    """Keys from the key file (one per line, newest first); creates it when missing.

    Returns the keys and whether a new file was created.
    """
    if path.exists():
        text = path.read_text(encoding="ascii", errors="replace")
        try:
            return parse_keys(",".join(text.split())), False
        except ConfigurationError as exc:
            raise ConfigurationError(f"{path}: {exc.message.split(': ', 1)[-1]}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return [key], True


def prepend_key_to_file(path: Path, key: str) -> None:
    existing, _ = load_or_create_keyfile(path)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("\n".join([key, *existing]) + "\n")
    tmp.replace(path)


class FernetCipher:
    """Implements ``desk.services.ports.crypto.Cipher``."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ConfigurationError("no encryption key configured")
        self._keys = [validate_key(k, i + 1) for i, k in enumerate(keys)]
        self._multi = MultiFernet([Fernet(k.encode("ascii")) for k in self._keys])
        self._ids = [key_fingerprint(k) for k in self._keys]

    def __repr__(self) -> str:
        return f"FernetCipher(keys={self._ids!r})"

    @property
    def current_key_id(self) -> str:
        return self._ids[0]

    @property
    def key_ids(self) -> list[str]:
        return list(self._ids)

    def encrypt(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            raise VaultError(
                "a stored secret cannot be decrypted with the configured keys "
                "(was an old key removed from DESK_SECRET_KEYS before `desk keys rotate`?)"
            ) from None

    def rotate(self, token: str) -> str:
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            raise VaultError(
                "a stored secret cannot be decrypted with the configured keys; rotation stopped"
            ) from None
