"""Every Kite failure mode, through the real client, becomes the right BrokerError."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from kiteconnect import exceptions as kex

from desk.adapters.kite import KiteBroker
from desk.adapters.kite.errors import translate_kite_exception
from desk.adapters.kite.fake_server import Fault, RunningFakeKite
from desk.domain.broker import (
    BrokerAuthError,
    BrokerDataError,
    BrokerError,
    BrokerInputError,
    BrokerPermissionError,
    BrokerRateLimitedError,
    BrokerRejectedError,
    BrokerUnavailableError,
)

from .conftest import intent


def test_expired_token_maps_to_auth_error_and_notifies(
    make_broker: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    expired: list[bool] = []
    broker = make_broker(on_token_expired=lambda: expired.append(True))
    fake_kite.state.expire_tokens()
    with pytest.raises(BrokerAuthError, match="log in to Kite again") as err:
        broker.place_order(intent())
    assert err.value.upstream_status == 403 and not err.value.retry_safe
    assert expired == [True]
    assert fake_kite.state.orders == {}


# (status, error_type, message) -> (domain error, upstream_type reported)
KITE_ERRORS = [
    (403, "PermissionException", "IP not whitelisted", BrokerPermissionError, None),
    (400, "InputException", "Invalid `price`.", BrokerInputError, None),
    (500, "OrderException", "Order rejected by RMS", BrokerRejectedError, None),
    (
        400,
        "MarginException",
        "Insufficient funds. Required margin is 95417.84",
        BrokerRejectedError,
        "MarginException",
    ),
    (
        400,
        "HoldingException",
        "Insufficient holdings to sell",
        BrokerRejectedError,
        "HoldingException",
    ),
    (400, "UserException", "Account blocked", BrokerRejectedError, "GeneralException"),
    (429, "NetworkException", "Too many requests", BrokerRateLimitedError, None),
    (429, "GeneralException", "Too many requests", BrokerRateLimitedError, None),
    (503, "NetworkException", "OMS unreachable", BrokerUnavailableError, None),
    (502, "DataException", "Bad response from OMS", BrokerDataError, None),
    (500, "GeneralException", "Unexpected", BrokerUnavailableError, None),
    (504, "SomethingNew", "Gateway timeout", BrokerUnavailableError, None),
]


@pytest.mark.parametrize(("status", "etype", "message", "expected", "upstream"), KITE_ERRORS)
def test_kite_error_bodies_on_place(
    broker: KiteBroker,
    fake_kite: RunningFakeKite,
    status: int,
    etype: str,
    message: str,
    expected: type[BrokerError],
    upstream: str | None,
) -> None:
    fake_kite.fake.add_fault(
        Fault(
            "error",
            path="/orders/",
            method="POST",
            status=status,
            error_type=etype,
            message=message,
        )
    )
    with pytest.raises(expected) as err:
        broker.place_order(intent())
    exc = err.value
    assert type(exc) is expected
    assert message in exc.message
    assert exc.upstream_status == status
    if upstream:
        assert exc.upstream_type == upstream
    # writes: only "refused for rate" is safe to retry; 5xx means reconcile first
    assert exc.retry_safe is (expected is BrokerRateLimitedError)
    assert exc.outcome_unknown is (status >= 500 and expected is not BrokerRejectedError)
    assert fake_kite.state.orders == {}


def test_reads_are_retry_safe_on_5xx(broker: KiteBroker, fake_kite: RunningFakeKite) -> None:
    fake_kite.fake.add_fault(
        Fault("error", path="/orders", status=503, error_type="NetworkException")
    )
    with pytest.raises(BrokerUnavailableError) as err:
        broker.orders()
    assert err.value.retry_safe and not err.value.outcome_unknown
    assert broker.orders() == []  # the fault was one-shot


@pytest.mark.parametrize(
    ("variant", "client_raises"),
    [
        ("no_error_type", "TypeError"),
        ("no_message", "KeyError"),
        ("no_content_type", "KeyError"),
        ("list_body", "AttributeError"),
        ("bad_json", "DataException"),
        ("html", "DataException"),
    ],
)
def test_malformed_bodies(
    broker: KiteBroker, fake_kite: RunningFakeKite, variant: str, client_raises: str
) -> None:
    fake_kite.fake.add_fault(Fault("malformed", path="/orders/", variant=variant, status=400))
    with pytest.raises(BrokerDataError) as err:
        broker.place_order(intent())
    assert err.value.upstream_type == client_raises
    assert err.value.outcome_unknown and not err.value.retry_safe
    fake_kite.fake.add_fault(Fault("malformed", path="/user/margins", variant=variant, status=400))
    with pytest.raises(BrokerDataError) as read_err:
        broker.margins()
    assert read_err.value.retry_safe


def test_timeout_before_processing(
    make_broker: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    broker = make_broker(timeout_seconds=0.2)
    fake_kite.fake.add_fault(Fault("delay", path="/quote", delay_seconds=0.5))
    with pytest.raises(BrokerUnavailableError, match="try again") as err:
        broker.ltp(["NSE:INFY"])
    assert err.value.retry_safe and err.value.upstream_type == "ReadTimeout"


def test_timeout_after_the_order_was_placed_is_reconciled_by_tag(
    make_broker: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    broker = make_broker(timeout_seconds=0.2)
    fake_kite.fake.add_fault(
        Fault("delay", path="/orders/", method="POST", delay_seconds=0.4, after=True)
    )
    with pytest.raises(BrokerUnavailableError, match="reconcile") as err:
        broker.place_order(intent("idem42"))
    assert err.value.outcome_unknown and not err.value.retry_safe
    found = broker.find_by_tag("idem42")
    assert len(found) == 1  # the order exists: do not place it again


def test_server_error_after_placement_is_outcome_unknown(
    broker: KiteBroker, fake_kite: RunningFakeKite
) -> None:
    fake_kite.fake.add_fault(Fault("error", path="/orders/", method="POST", status=500, after=True))
    with pytest.raises(BrokerUnavailableError) as err:
        broker.place_order(intent("idem43"))
    assert err.value.outcome_unknown
    assert len(broker.find_by_tag("idem43")) == 1


def test_connection_refused_is_retry_safe() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    broker = KiteBroker("k", "t", root=f"http://127.0.0.1:{port}", timeout_seconds=1)
    try:
        with pytest.raises(BrokerUnavailableError, match="cannot reach Kite") as err:
            broker.place_order(intent())
        assert err.value.retry_safe and not err.value.outcome_unknown
    finally:
        broker.close()


@pytest.mark.parametrize(
    "cls",
    [
        kex.TokenException,
        kex.PermissionException,
        kex.InputException,
        kex.OrderException,
        kex.NetworkException,
        kex.DataException,
        kex.GeneralException,
        kex.KiteException,
    ],
)
def test_every_client_exception_class_is_mapped(cls: type[kex.KiteException]) -> None:
    for writes in (True, False):
        err = translate_kite_exception(cls("boom"), operation="x", writes=writes)
        assert isinstance(err, BrokerError)
        assert "boom" in err.message
