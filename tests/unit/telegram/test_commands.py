from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.adapters.telegram.commands import (
    parse_decision,
    parse_limit,
    parse_link_code,
    parse_reason,
    parse_request_ref,
    parse_status,
    split_command,
)
from desk.domain.errors import ValidationError
from desk.domain.telegram import TgDecision


def test_split_command() -> None:
    assert split_command("/approve@DeskBot abc  looks fine") == ("approve", "abc  looks fine")
    assert split_command("/PENDING") == ("pending", "")
    assert split_command("/reject abc\nline two") == ("reject", "abc\nline two")
    with pytest.raises(ValidationError):
        split_command("hello")


@pytest.mark.parametrize(("rest", "limit"), [("", 10), ("  ", 10), ("1", 1), ("50", 50), ("07", 7)])
def test_limit_ok(rest: str, limit: int) -> None:
    assert parse_limit(rest) == limit


@pytest.mark.parametrize(
    ("rest", "field"),
    [
        ("abc", "not a number"),
        ("-1", "not a number"),
        ("1.5", "not a number"),
        ("٣", "not a number"),
        ("0", "out of range"),
        ("51", "out of range"),
        ("1 2", "too many arguments"),
    ],
)
def test_limit_bad(rest: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_limit(rest)
    assert err.value.fields == {"limit": field}


@given(st.text(max_size=30))
def test_limit_is_in_range_or_a_clear_error(rest: str) -> None:
    try:
        limit = parse_limit(rest)
    except ValidationError as exc:
        assert exc.message and "limit" in exc.fields
    else:
        assert 1 <= limit <= 50


def test_request_refs() -> None:
    assert parse_request_ref("A1B2c3") == "a1b2c3"
    assert parse_status(" a1b2 ") == "a1b2"
    for bad, why in [
        ("", "missing"),
        ("abc", "too short"),
        ("a1b2;drop", "malformed"),
        ("x" * 65, "malformed"),
        ("<b>", "malformed"),
    ]:
        with pytest.raises(ValidationError) as err:
            parse_request_ref(bad)
        assert err.value.fields == {"request_id": why}
    with pytest.raises(ValidationError, match="Usage: /status"):
        parse_status("")


def test_decisions() -> None:
    cmd = parse_decision("A1B2C3D4  fine   by me", TgDecision.APPROVE)
    assert (cmd.request_ref, cmd.decision, cmd.reason) == (
        "a1b2c3d4",
        TgDecision.APPROVE,
        "fine by me",
    )
    assert parse_decision("a1b2c3d4", TgDecision.APPROVE).reason is None
    with pytest.raises(ValidationError, match="Usage: /approve <request id> \\[reason\\]"):
        parse_decision("", TgDecision.APPROVE)
    with pytest.raises(ValidationError, match="Usage: /reject <request id> <reason>"):
        parse_decision(" ", TgDecision.REJECT)
    with pytest.raises(ValidationError) as err:
        parse_decision("a1b2c3d4", TgDecision.REJECT)
    assert err.value.fields == {"reason": "required to reject"}
    assert (
        parse_decision("a1b2c3d4 spread\ntoo wide", TgDecision.REJECT).reason == "spread too wide"
    )


def test_reasons() -> None:
    assert parse_reason("  ") is None
    assert parse_reason("x" * 500) == "x" * 500
    with pytest.raises(ValidationError, match="too long"):
        parse_reason("x" * 501)


def test_link_codes() -> None:
    assert parse_link_code("") is None
    assert parse_link_code(" Ab_1-2 ") == "Ab_1-2"
    for bad in ["two words", "semi;colon", "x" * 129]:
        with pytest.raises(ValidationError, match="link code"):
            parse_link_code(bad)
