from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.adapters.telegram.callback_data import (
    CallbackSigner,
    ForgedCallbackError,
    StaleCallbackError,
)
from desk.domain.errors import ConfigurationError
from desk.domain.telegram import TgDecision

SIGNER = CallbackSigner("a-webhook-secret-of-enough-length")
RID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=100)
chats = st.integers(min_value=-(2**52), max_value=2**52)


@given(ids, chats, st.sampled_from(TgDecision))
def test_fits_64_bytes_and_round_trips(request_id: str, chat_id: int, decision: TgDecision) -> None:
    data = SIGNER.sign(decision, request_id, chat_id)
    assert len(data.encode()) <= 64
    parsed = SIGNER.parse(data)
    assert parsed.decision is decision and request_id.startswith(parsed.ref)
    assert SIGNER.verify(parsed, request_id, chat_id)
    assert not SIGNER.verify(parsed, request_id, chat_id + 1)
    assert not SIGNER.verify(parsed, request_id + "x", chat_id)


def test_binds_action_request_chat_and_key() -> None:
    data = SIGNER.sign(TgDecision.APPROVE, RID, 4242)
    assert SIGNER.check(data, RID, 4242).decision is TgDecision.APPROVE
    with pytest.raises(ForgedCallbackError):
        SIGNER.check("r" + data[1:], RID, 4242)
    with pytest.raises(ForgedCallbackError):
        SIGNER.check(data, RID, 4343)
    with pytest.raises(ForgedCallbackError):
        CallbackSigner("another-secret-of-enough-length").check(data, RID, 4242)
    other = "a1b2ffff00001111222233334444aaaa"
    with pytest.raises(ForgedCallbackError):
        SIGNER.check(data.replace(RID, other), other, 4242)


def test_long_ids_carry_a_prefix_and_the_signature_covers_the_whole_id() -> None:
    long_id = "r" * 30 + "-" + "0123456789abcdef" * 3
    data = SIGNER.sign(TgDecision.REJECT, long_id, 1)
    parsed = SIGNER.parse(data)
    assert parsed.ref_may_be_truncated and long_id.startswith(parsed.ref)
    assert SIGNER.verify(parsed, long_id, 1)
    assert not SIGNER.verify(parsed, long_id[:-1] + "x", 1)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "approve:7",
        "a1:abc:short",
        "x1:" + RID + ":" + "A" * 22,
        "a1:" + RID + ":" + "A" * 23,
        "a1:ab/c:" + "A" * 22,
    ],
)
def test_malformed_is_forged(data: str) -> None:
    with pytest.raises(ForgedCallbackError, match="could not be verified"):
        SIGNER.parse(data)


def test_other_versions_are_stale() -> None:
    data = SIGNER.sign(TgDecision.APPROVE, RID, 1)
    with pytest.raises(StaleCallbackError, match="out of date"):
        SIGNER.parse("a2" + data[2:])


def test_secret_must_be_long_enough() -> None:
    with pytest.raises(ConfigurationError):
        CallbackSigner("short")
