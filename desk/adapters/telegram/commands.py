"""Pure parsing of bot command arguments: limits, request ids, reasons, link codes.

Every function raises :class:`desk.domain.errors.ValidationError` with a message that can be
sent back to the user as is (plain text) and names the field in ``fields``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from desk.domain.errors import ValidationError
from desk.domain.telegram import TgDecision

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MIN_REF_LENGTH = 4
MAX_REF_LENGTH = 64
MAX_REASON_LENGTH = 500
MAX_CODE_LENGTH = 128

REF_RE = re.compile(r"^[a-z0-9_-]+$")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+|$)(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class DecisionCommand:
    request_ref: str
    decision: TgDecision
    reason: str | None


def split_command(text: str) -> tuple[str, str]:
    """``"/approve@DeskBot abc  looks fine"`` → ``("approve", "abc  looks fine")``."""
    match = _COMMAND_RE.match(text.strip())
    if match is None:
        raise ValidationError("That is not a command.", fields={"text": "not a /command"})
    return match.group(1).lower(), match.group(2).strip()


def parse_limit(rest: str) -> int:
    """The optional ``/pending`` limit: default 10, a whole number from 1 to 50."""
    words = rest.split()
    if not words:
        return DEFAULT_LIMIT
    if len(words) > 1:
        raise ValidationError(
            f"Usage: /pending [limit] (one number from 1 to {MAX_LIMIT}).",
            fields={"limit": "too many arguments"},
        )
    word = words[0]
    if not word.isascii() or not word.isdigit():
        raise ValidationError(
            f"The limit must be a whole number from 1 to {MAX_LIMIT}, not {word[:20]!r}.",
            fields={"limit": "not a number"},
        )
    limit = int(word)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(
            f"The limit must be from 1 to {MAX_LIMIT} (got {limit}).",
            fields={"limit": "out of range"},
        )
    return limit


def parse_request_ref(word: str) -> str:
    """A request id or a short prefix of one (at least 4 characters), lower-cased."""
    ref = word.strip().lower()
    if not ref:
        raise ValidationError("Give the request id.", fields={"request_id": "missing"})
    if len(ref) > MAX_REF_LENGTH or not REF_RE.match(ref):
        raise ValidationError(
            f"{word[:20]!r} is not a request id (letters, digits, '-' and '_' only).",
            fields={"request_id": "malformed"},
        )
    if len(ref) < MIN_REF_LENGTH:
        raise ValidationError(
            f"Give at least {MIN_REF_LENGTH} characters of the request id.",
            fields={"request_id": "too short"},
        )
    return ref


def parse_status(rest: str) -> str:
    words = rest.split()
    if not words:
        raise ValidationError(
            "Usage: /status <request id> (a prefix of at least 4 characters is enough).",
            fields={"request_id": "missing"},
        )
    if len(words) > 1:
        raise ValidationError("Usage: /status <request id>.", fields={"request_id": "extra words"})
    return parse_request_ref(words[0])


def parse_reason(text: str) -> str | None:
    """A free-text reason, whitespace-normalised; None when empty."""
    reason = " ".join(text.split())
    if not reason:
        return None
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(
            f"The reason is too long ({len(reason)} characters; at most {MAX_REASON_LENGTH}).",
            fields={"reason": "too long"},
        )
    return reason


def parse_decision(rest: str, decision: TgDecision) -> DecisionCommand:
    """``/approve <id> [reason]`` or ``/reject <id> <reason>`` (a reject needs a reason)."""
    command = f"/{decision.value}"
    parts = rest.split(maxsplit=1)
    if not parts:
        usage = "<reason>" if decision is TgDecision.REJECT else "[reason]"
        raise ValidationError(
            f"Usage: {command} <request id> {usage}.", fields={"request_id": "missing"}
        )
    ref = parse_request_ref(parts[0])
    reason = parse_reason(parts[1] if len(parts) > 1 else "")
    if decision is TgDecision.REJECT and reason is None:
        raise ValidationError(
            f"A rejection needs a reason: /reject {ref} <reason>.",
            fields={"reason": "required to reject"},
        )
    return DecisionCommand(request_ref=ref, decision=decision, reason=reason)


def parse_link_code(rest: str) -> str | None:
    """The one-time code after ``/start`` or ``/link``; None when there is none."""
    words = rest.split()
    if not words:
        return None
    code = words[0]
    if len(words) > 1 or len(code) > MAX_CODE_LENGTH or not CODE_RE.match(code):
        raise ValidationError(
            "That does not look like a link code. Copy the code from Desk and send /link <code>.",
            fields={"code": "malformed"},
        )
    return code
