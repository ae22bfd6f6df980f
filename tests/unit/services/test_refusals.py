"""Refused unauthenticated calls: the first few per key and minute are audited, the rest counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.services.refusals import OVERFLOW, RefusalSampler

T0 = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
KEY = ("telegram", "wrong_header", "203.0.113.9")


def test_first_few_per_key_are_admitted_then_counted_and_reported_next_window() -> None:
    sampler = RefusalSampler(per_key=3, overall=10)
    assert [sampler.admit(KEY, T0) for _ in range(5)] == [0, 0, 0, None, None]
    assert sampler.pending() == 2
    assert sampler.admit(KEY, T0 + timedelta(minutes=1)) == 2
    assert sampler.pending() == 0
    assert sampler.admit(KEY, T0 + timedelta(minutes=1)) == 0


def test_overall_cap_holds_across_many_clients() -> None:
    sampler = RefusalSampler(per_key=5, overall=8)
    admitted = [
        sampler.admit(("telegram", "wrong_path_secret", f"10.0.0.{i}"), T0) for i in range(50)
    ]
    assert sum(a is not None for a in admitted) == 8
    assert sampler.pending() == 42


def test_suppressed_keys_are_bounded() -> None:
    sampler = RefusalSampler(per_key=1, overall=1, max_keys=3)
    for i in range(100):
        sampler.admit(("kite-postback", "checksum", str(i)), T0)
    assert sampler.pending() == 99
    assert sampler.admit(OVERFLOW, T0 + timedelta(minutes=1)) == 96


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="per_key"):
        RefusalSampler(per_key=0)
    with pytest.raises(ValueError, match="overall"):
        RefusalSampler(per_key=5, overall=4)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 179)), max_size=200))
def test_nothing_is_lost_every_refusal_is_audited_or_counted(calls: list[tuple[int, int]]) -> None:
    sampler = RefusalSampler(per_key=2, overall=5)
    audited = reported = 0
    for client, second in sorted(calls, key=lambda c: c[1]):
        got = sampler.admit(
            ("telegram", "wrong_header", str(client)), T0 + timedelta(seconds=second)
        )
        if got is not None:
            audited += 1
            reported += got
    assert audited + reported + sampler.pending() == len(calls)
