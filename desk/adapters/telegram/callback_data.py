"""Signed inline-button payloads that fit Telegram's 64-byte ``callback_data`` limit.

Format: ``<action><version>:<ref>:<sig>``, e.g. ``a1:3f9c…:Zq0…`` where ``action`` is ``a``
(approve) or ``r`` (reject), ``ref`` is the request id (or its first 38 characters when the id
is longer) and ``sig`` is HMAC-SHA256 over ``action|full request id|chat id``, truncated to
16 bytes and base64url-encoded (22 characters). The key is derived from a server secret (the
webhook secret or the bot token) so a button only works for the chat it was sent to, for the
request and action it names. Verification is constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from desk.domain.errors import ConfigurationError, ValidationError
from desk.domain.telegram import TgDecision

MAX_CALLBACK_BYTES = 64
VERSION = "1"
SIG_BYTES = 16
SIG_CHARS = 22  # base64url of 16 bytes without padding
MAX_REF_CHARS = MAX_CALLBACK_BYTES - len("a1::") - SIG_CHARS  # 38
_KEY_CONTEXT = b"desk/telegram/callback-data/v1"
_ACTIONS = {"a": TgDecision.APPROVE, "r": TgDecision.REJECT}
_CODES = {decision: code for code, decision in _ACTIONS.items()}
_DATA_RE = re.compile(
    rf"^([ar])([0-9]):([A-Za-z0-9_-]{{1,{MAX_REF_CHARS}}}):([A-Za-z0-9_-]{{{SIG_CHARS}}})$"
)


class ForgedCallbackError(ValidationError):
    """Button data that we did not sign (or signed for another chat or request)."""

    code = "forged_callback_data"


class StaleCallbackError(ValidationError):
    """Button data from an older format or key; the user should use /pending instead."""

    code = "stale_callback_data"


@dataclass(frozen=True, slots=True)
class SignedCallback:
    decision: TgDecision
    ref: str
    signature: bytes

    @property
    def ref_may_be_truncated(self) -> bool:
        """True when ``ref`` may be only a prefix of the request id (resolve it first)."""
        return len(self.ref) >= MAX_REF_CHARS


class CallbackSigner:
    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < 16:
            raise ConfigurationError(
                "The callback signing secret must be at least 16 bytes long.",
                fields={"secret": "too short"},
            )
        self._key = hmac.new(raw, _KEY_CONTEXT, hashlib.sha256).digest()

    def _mac(self, decision: TgDecision, request_id: str, chat_id: int) -> bytes:
        message = f"{_CODES[decision]}|{request_id}|{chat_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()[:SIG_BYTES]

    def sign(self, decision: TgDecision, request_id: str, chat_id: int) -> str:
        ref = request_id[:MAX_REF_CHARS]
        if not re.fullmatch(r"[A-Za-z0-9_-]+", ref):
            raise ValidationError(
                "A request id used in a button must be letters, digits, '-' or '_'.",
                fields={"request_id": "unsupported characters"},
            )
        sig = base64.urlsafe_b64encode(self._mac(decision, request_id, chat_id)).rstrip(b"=")
        data = f"{_CODES[decision]}{VERSION}:{ref}:{sig.decode()}"
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        return data

    def parse(self, data: str) -> SignedCallback:
        """Split button data; raises Forged/StaleCallbackError when it is not ours."""
        match = _DATA_RE.match(data)
        if match is None:
            raise ForgedCallbackError(
                "This button could not be verified; nothing was changed. Use /pending.",
                fields={"callback_data": "malformed"},
            )
        action, version, ref, sig = match.groups()
        if version != VERSION:
            raise StaleCallbackError(
                "This button is out of date; nothing was changed. Use /pending.",
                fields={"callback_data": "old version"},
            )
        try:
            signature = base64.urlsafe_b64decode(sig + "==")
        except (binascii.Error, ValueError) as exc:  # pragma: no cover - regex guards it
            raise ForgedCallbackError(
                "This button could not be verified; nothing was changed.",
                fields={"callback_data": "bad signature encoding"},
            ) from exc
        return SignedCallback(decision=_ACTIONS[action], ref=ref, signature=signature)

    def verify(self, callback: SignedCallback, request_id: str, chat_id: int) -> bool:
        """Constant-time check that ``callback`` was signed for this request and chat."""
        if not request_id.startswith(callback.ref):
            return False
        if not callback.ref_may_be_truncated and request_id != callback.ref:
            return False
        expected = self._mac(callback.decision, request_id, chat_id)
        return hmac.compare_digest(expected, callback.signature)

    def check(self, data: str, request_id: str, chat_id: int) -> SignedCallback:
        """Parse and verify in one go; raises ForgedCallbackError on a mismatch."""
        callback = self.parse(data)
        if not self.verify(callback, request_id, chat_id):
            raise ForgedCallbackError(
                "This button could not be verified for you; nothing was changed.",
                fields={"callback_data": "signature mismatch"},
            )
        return callback
