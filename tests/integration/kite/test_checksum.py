from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from desk.adapters.kite import (
    login_checksum,
    postback_checksum,
    verify_login_checksum,
    verify_postback_checksum,
)
from desk.adapters.kite.fake_server import RunningFakeKite

from .conftest import intent

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "kite-mocks"


def test_login_checksum_is_plain_sha256_of_the_concatenation() -> None:
    expected = hashlib.sha256(b"keyrtoksecret").hexdigest()
    assert login_checksum("key", "rtok", "secret") == expected
    assert verify_login_checksum(expected, api_key="key", request_token="rtok", api_secret="secret")
    assert verify_login_checksum(
        expected.upper(), api_key="key", request_token="rtok", api_secret="secret"
    )
    assert not verify_login_checksum(
        expected, api_key="key", request_token="rtok", api_secret="other"
    )


def test_postback_checksum() -> None:
    digest = postback_checksum("220303000308932", "2022-03-03 09:24:25", "s3cret")
    assert digest == hashlib.sha256(b"2203030003089322022-03-03 09:24:25s3cret").hexdigest()
    assert verify_postback_checksum(
        digest,
        order_id="220303000308932",
        order_timestamp="2022-03-03 09:24:25",
        api_secret="s3cret",
    )
    assert not verify_postback_checksum(
        digest,
        order_id="220303000308932",
        order_timestamp="2022-03-03 09:24:26",
        api_secret="s3cret",
    )
    assert not verify_postback_checksum(
        "", order_id="220303000308932", order_timestamp="2022-03-03 09:24:25", api_secret="s3cret"
    )


def test_fake_postback_payload_verifies(fake_kite: RunningFakeKite) -> None:
    order_id = fake_kite.state.place("regular", _form(intent("pb1")))
    body = fake_kite.state.postback_payload(order_id)
    assert body["status"] == "COMPLETE" and body["tag"] == "pb1"
    assert verify_postback_checksum(
        body["checksum"],
        order_id=body["order_id"],
        order_timestamp=body["order_timestamp"],
        api_secret="fake_api_secret",
    )
    forged = fake_kite.state.postback_payload(order_id, api_secret="wrong")
    assert not verify_postback_checksum(
        forged["checksum"],
        order_id=order_id,
        order_timestamp=forged["order_timestamp"],
        api_secret="fake_api_secret",
    )


def test_real_postback_sample_has_the_fields_we_hash() -> None:
    path = SHARED / "postback.json"
    if not path.exists():
        pytest.skip(f"shared kite-mocks not found at {path}")
    sample = json.loads(path.read_text())
    # the sample's secret is unknown: only the shape of the inputs can be checked
    assert isinstance(sample["order_id"], str) and len(sample["order_timestamp"]) == 19
    assert len(sample["checksum"]) == 64


def _form(i: object) -> dict[str, str]:
    from desk.domain.broker import OrderIntent

    assert isinstance(i, OrderIntent)
    return {
        "exchange": i.exchange,
        "tradingsymbol": i.tradingsymbol,
        "transaction_type": i.transaction_type.value,
        "quantity": str(i.quantity),
        "order_type": i.order_type.value,
        "product": i.product.value,
        "tag": i.tag,
        "market_protection": "-1",
    }
