"""The tamper-evident audit chain: canonical JSON, hashing and verification (pure).

Each event's ``hash`` is ``sha256(prev_hash + canonical_json(body))`` where ``body`` holds
every recorded field except ``seq``, ``prev_hash`` and ``hash``. Ordering is proven by the
links, so a reordered, inserted or deleted row breaks a link and an edited row breaks its
own hash. Verification walks events in ``seq`` order and names the first broken one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from json.encoder import encode_basestring
from typing import Any, NamedTuple

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """What a service wants recorded; the store adds seq and hashes."""

    action: str
    actor_id: str | None
    actor_label: str
    channel: str
    subject_type: str
    subject_id: str | None
    payload: Mapping[str, Any]


class ChainRow(NamedTuple):
    """An event as stored, with its payload as the exact canonical JSON text that was hashed.

    ``occurred_at`` may be naive, meaning UTC (the store reads it that way for speed).
    """

    seq: int
    id: str
    occurred_at: datetime
    action: str
    actor_id: str | None
    actor_label: str
    channel: str
    subject_type: str
    subject_id: str | None
    payload_json: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    id: str
    occurred_at: datetime
    action: str
    actor_id: str | None
    actor_label: str
    channel: str
    subject_type: str
    subject_id: str | None
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"audit payloads hold JSON values only, not {type(value).__name__}")


def canonical_json(value: object) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the same value always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def format_time(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


_str = encode_basestring  # the C JSON string encoder (ensure_ascii=False), as canonical_json


def _opt(value: str | None) -> str:
    return "null" if value is None else _str(value)


def body_json(
    *,
    id: str,
    occurred_at: datetime,
    action: str,
    actor_id: str | None,
    actor_label: str,
    channel: str,
    subject_type: str,
    subject_id: str | None,
    payload_json: str,
) -> str:
    """Canonical JSON of an event body, composed directly (keys in sorted order).

    Byte-for-byte equal to ``canonical_json`` of the same fields as a dict (a property test
    checks it), but built without a dict round-trip so verifying a million events is fast.
    ``payload_json`` must already be canonical (the store keeps it verbatim).
    """
    return "".join(
        (
            '{"action":', _str(action),
            ',"actor_id":', _opt(actor_id),
            ',"actor_label":', _str(actor_label),
            ',"channel":', _str(channel),
            ',"id":', _str(id),
            ',"occurred_at":"', format_time(occurred_at),
            '","payload":', payload_json,
            ',"subject_id":', _opt(subject_id),
            ',"subject_type":', _str(subject_type),
            "}",
        )
    )  # fmt: skip


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def hash_of(event: AuditEvent | ChainRow) -> str:
    if isinstance(event, ChainRow):
        payload_json = event.payload_json
    else:
        payload_json = canonical_json(dict(event.payload))
    body = body_json(
        id=event.id,
        occurred_at=event.occurred_at,
        action=event.action,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        channel=event.channel,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        payload_json=payload_json,
    )
    return chain_hash(event.prev_hash, body)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    event_id: str
    kind: str  # edited | deleted | inserted | reordered | broken
    detail: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    problem: ChainBreak | None = None

    def describe(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.count} events, head {self.head_hash[:16]}"
        assert self.problem is not None
        p = self.problem
        return f"audit chain BROKEN at seq {p.seq} (event {p.event_id}): {p.kind}: {p.detail}"


def verify_chain(
    events: Iterable[AuditEvent | ChainRow],
    *,
    locate: Callable[[str], int | None] | None = None,
    expected_head: str | None = None,
) -> VerifyResult:
    """Walk events in seq order and return the first break, located and classified.

    ``locate(hash)`` returns the seq of the stored event with that hash (or None); it is only
    called once a link is broken, to tell a reorder from a deletion. Rules:

    * ``prev_hash`` equals the previous event's own parent -> the previous event was
      ``inserted`` (two events claim one parent; a pure reorder never does that);
    * ``prev_hash`` names the event stored right after it -> ``reordered`` (a swap);
    * the next event links to the last good one -> this event was ``inserted``;
    * ``prev_hash`` names an event stored elsewhere in the chain -> ``reordered``;
    * otherwise its parent is gone -> ``deleted``;
    * the links hold but the recomputed hash differs -> ``edited``;
    * the links hold but ``seq`` jumps -> ``edited`` (the numbering was altered).
    """
    iterator = iter(events)
    prev: AuditEvent | ChainRow | None = None
    count = 0
    upcoming: AuditEvent | ChainRow | None = next(iterator, None)
    while upcoming is not None:
        event = upcoming
        upcoming = next(iterator, None)
        expected_prev = prev.hash if prev is not None else GENESIS_HASH
        if event.prev_hash != expected_prev:
            problem = _classify_link(event, upcoming, prev, locate)
            good = count - 1 if problem.seq != event.seq else count
            return VerifyResult(False, max(good, 0), expected_prev, problem)
        if hash_of(event) != event.hash:
            problem = ChainBreak(
                event.seq, event.id, "edited", "the stored hash does not match the content"
            )
            return VerifyResult(False, count, expected_prev, problem)
        if prev is not None and event.seq != prev.seq + 1:
            problem = ChainBreak(
                event.seq,
                event.id,
                "edited",
                f"seq jumps from {prev.seq} to {event.seq} although the links hold",
            )
            return VerifyResult(False, count, expected_prev, problem)
        prev = event
        count += 1
    head = prev.hash if prev is not None else GENESIS_HASH
    if expected_head is not None and head != expected_head:
        last_seq, last_id = (prev.seq, prev.id) if prev is not None else (0, "-")
        problem = ChainBreak(
            last_seq,
            last_id,
            "truncated",
            f"head {head[:16]} is not the expected checkpoint {expected_head[:16]}",
        )
        return VerifyResult(False, count, head, problem)
    return VerifyResult(True, count, head)


def _classify_link(
    event: AuditEvent | ChainRow,
    following: AuditEvent | ChainRow | None,
    prev: AuditEvent | ChainRow | None,
    locate: Callable[[str], int | None] | None,
) -> ChainBreak:
    expected = prev.hash if prev is not None else GENESIS_HASH
    if prev is not None and event.prev_hash == prev.prev_hash:
        return ChainBreak(
            prev.seq,
            prev.id,
            "inserted",
            f"this event and seq {event.seq} both link to the same parent",
        )
    if following is not None and event.prev_hash == following.hash:
        return ChainBreak(
            event.seq, event.id, "reordered", "it links to the event stored right after it"
        )
    if following is not None and following.prev_hash == expected:
        return ChainBreak(
            event.seq,
            event.id,
            "inserted",
            "not linked to its predecessor; the next event skips it",
        )
    parent_seq = locate(event.prev_hash) if locate is not None else None
    if parent_seq is not None:
        where = "after" if parent_seq > event.seq else "before"
        return ChainBreak(
            event.seq,
            event.id,
            "reordered",
            f"it links to seq {parent_seq}, stored {where} it, not to its predecessor",
        )
    if prev is not None and event.seq != prev.seq + 1:
        detail = f"events between seq {prev.seq} and {event.seq} are missing"
    else:
        detail = "the event it links to is missing"
    return ChainBreak(event.seq, event.id, "deleted", detail)
