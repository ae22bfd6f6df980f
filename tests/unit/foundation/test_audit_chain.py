"""The pure hash chain: every kind of tampering is detected and located."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.domain.audit import (
    GENESIS_HASH,
    AuditEvent,
    body_json,
    canonical_json,
    chain_hash,
    format_time,
    hash_of,
    verify_chain,
)


def event_body(**fields: object) -> str:
    payload = fields.pop("payload")
    return body_json(payload_json=canonical_json(payload), **fields)  # type: ignore[arg-type]


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def build_chain(n: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    prev = GENESIS_HASH
    for i in range(1, n + 1):
        fields = dict(
            id=f"e{i}",
            occurred_at=T0 + timedelta(seconds=i),
            action="thing.done",
            actor_id="u1",
            actor_label="alice",
            channel="api",
            subject_type="thing",
            subject_id=f"s{i}",
            payload={"n": i},
        )
        h = chain_hash(prev, event_body(**fields))  # type: ignore[arg-type]
        events.append(AuditEvent(seq=i, prev_hash=prev, hash=h, **fields))  # type: ignore[arg-type]
        prev = h
    return events


def locator(events: list[AuditEvent]):
    index = {e.hash: e.seq for e in events}
    return index.get


def test_intact_chain_verifies_with_count_and_head() -> None:
    events = build_chain(5)
    result = verify_chain(events, locate=locator(events))
    assert result.ok and result.count == 5 and result.head_hash == events[-1].hash
    assert "OK: 5 events" in result.describe()


def test_empty_chain_is_ok() -> None:
    result = verify_chain([])
    assert result.ok and result.count == 0 and result.head_hash == GENESIS_HASH


def test_edited_payload_is_located() -> None:
    events = build_chain(5)
    events[2] = replace(events[2], payload={"n": 999})
    result = verify_chain(events, locate=locator(events))
    assert not result.ok and result.problem is not None
    assert (result.problem.seq, result.problem.kind) == (3, "edited")
    assert result.count == 2


def test_edited_actor_is_located() -> None:
    events = build_chain(4)
    events[1] = replace(events[1], actor_label="mallory")
    problem = verify_chain(events, locate=locator(events)).problem
    assert problem is not None and (problem.seq, problem.kind) == (2, "edited")


def test_deleted_event_is_located() -> None:
    events = build_chain(5)
    del events[2]
    problem = verify_chain(events, locate=locator(events)).problem
    assert problem is not None and problem.kind == "deleted" and problem.seq == 4
    assert "between seq 2 and 4" in problem.detail


def test_deleted_and_renumbered_is_still_a_deletion() -> None:
    events = build_chain(5)
    del events[2]
    events = [replace(e, seq=i + 1) for i, e in enumerate(events)]
    problem = verify_chain(events, locate=locator(events)).problem
    assert problem is not None and problem.kind == "deleted" and problem.seq == 3


def test_naively_inserted_event_is_located() -> None:
    events = build_chain(4)
    forged = replace(events[1], id="forged", seq=3, prev_hash="f" * 64, hash="e" * 64)
    tampered = events[:2] + [forged] + [replace(e, seq=e.seq + 1) for e in events[2:]]
    problem = verify_chain(tampered, locate=locator(tampered)).problem
    assert problem is not None and (problem.kind, problem.event_id) == ("inserted", "forged")


def test_well_linked_insertion_is_located() -> None:
    """An attacker who links the forged row correctly still breaks the next link."""
    events = build_chain(4)
    body = event_body(
        id="forged",
        occurred_at=T0,
        action="thing.done",
        actor_id="u9",
        actor_label="mallory",
        channel="api",
        subject_type="thing",
        subject_id="x",
        payload={},
    )
    forged = AuditEvent(
        seq=3,
        prev_hash=events[1].hash,
        hash=chain_hash(events[1].hash, body),
        id="forged",
        occurred_at=T0,
        action="thing.done",
        actor_id="u9",
        actor_label="mallory",
        channel="api",
        subject_type="thing",
        subject_id="x",
        payload={},
    )
    tampered = events[:2] + [forged] + [replace(e, seq=e.seq + 1) for e in events[2:]]
    problem = verify_chain(tampered, locate=locator(tampered)).problem
    assert problem is not None and (problem.kind, problem.event_id) == ("inserted", "forged")


def test_reordered_events_are_located() -> None:
    events = build_chain(5)
    swapped = [
        events[0],
        events[1],
        replace(events[3], seq=3),
        replace(events[2], seq=4),
        events[4],
    ]
    problem = verify_chain(swapped, locate=locator(swapped)).problem
    assert problem is not None and problem.kind == "reordered" and problem.seq == 3


def test_moved_to_the_end_is_reordered() -> None:
    events = build_chain(5)
    moved = [events[0], events[2], events[3], events[4], replace(events[1], seq=6)]
    problem = verify_chain(moved, locate=locator(moved)).problem
    assert problem is not None and problem.kind == "reordered"


def test_truncation_needs_a_checkpoint() -> None:
    events = build_chain(5)
    head = events[-1].hash
    assert verify_chain(events[:3]).ok
    result = verify_chain(events[:3], expected_head=head)
    assert not result.ok and result.problem is not None and result.problem.kind == "truncated"


def test_canonical_json_is_stable_and_typed() -> None:
    value = {"b": Decimal("1.50"), "a": [1, "x"], "t": T0}
    assert canonical_json(value) == '{"a":[1,"x"],"b":"1.50","t":"2026-01-01T00:00:00.000000Z"}'
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


TEXT = st.text(max_size=12)


@given(
    action=TEXT,
    actor_id=st.none() | TEXT,
    label=TEXT,
    channel=TEXT,
    id_=TEXT,
    subject_type=TEXT,
    subject_id=st.none() | TEXT,
    payload=st.dictionaries(TEXT, st.integers() | TEXT | st.none() | st.booleans(), max_size=4),
    micros=st.integers(min_value=0, max_value=10**12),
)
def test_composed_body_equals_canonical_json_of_the_dict(
    action: str,
    actor_id: str | None,
    label: str,
    channel: str,
    id_: str,
    subject_type: str,
    subject_id: str | None,
    payload: dict[str, object],
    micros: int,
) -> None:
    when = T0 + timedelta(microseconds=micros)
    as_dict = {
        "id": id_,
        "occurred_at": format_time(when),
        "action": action,
        "actor_id": actor_id,
        "actor_label": label,
        "channel": channel,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "payload": payload,
    }
    composed = body_json(
        id=id_,
        occurred_at=when,
        action=action,
        actor_id=actor_id,
        actor_label=label,
        channel=channel,
        subject_type=subject_type,
        subject_id=subject_id,
        payload_json=canonical_json(payload),
    )
    assert composed == canonical_json(as_dict)


def test_hash_of_event_matches_its_chain_hash() -> None:
    events = build_chain(3)
    assert [hash_of(e) for e in events] == [e.hash for e in events]
