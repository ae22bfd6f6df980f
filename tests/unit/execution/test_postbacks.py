from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from desk.adapters.paper import InMemoryExecutionRepository
from desk.domain.broker import BrokerOrder
from desk.domain.errors import ValidationError
from desk.domain.execution import ExecutionState, RequestOutcome
from desk.domain.orders import OrderStatus, OrderType
from desk.domain.postbacks import PostbackChecksumError, checksum_matches, postback_checksum
from desk.services.execution import execute_approved, recover_pending
from desk.services.order_tracking import PostbackAction, apply_postback
from tests.unit.execution.support import make_executor, order, orders_with_tag, paper_setup

SECRET = "s3cret"
S = ExecutionState


def payload(o: BrokerOrder, secret: str = SECRET, **over: Any) -> dict[str, Any]:
    stamp = "2026-01-05 10:30:00"
    body: dict[str, Any] = {
        "user_id": "AB1234",
        "app_id": 1234,
        "order_id": o.order_id,
        "status": o.status.value,
        "status_message": o.status_message,
        "order_timestamp": stamp,
        "tag": o.tag,
        "filled_quantity": o.filled_quantity,
        "average_price": float(o.average_price),
        "quantity": o.quantity,
        "guid": f"g-{o.order_id}-{o.status.value}",
        "checksum": postback_checksum(o.order_id, stamp, secret),
    }
    body.update(over)
    return body


def test_checksum_is_sha256_of_id_timestamp_secret_and_compared_safely() -> None:
    body = {"order_id": "1", "order_timestamp": "2026-01-05 10:30:00"}
    good = {**body, "checksum": postback_checksum("1", "2026-01-05 10:30:00", SECRET)}
    assert checksum_matches(good, SECRET)
    assert checksum_matches({**good, "checksum": good["checksum"].upper()}, SECRET)
    assert not checksum_matches(good, "other")
    assert not checksum_matches({**good, "order_timestamp": "2026-01-05 10:30:01"}, SECRET)
    assert not checksum_matches(body, SECRET)  # no checksum
    assert not checksum_matches({**good, "order_id": 1}, SECRET)  # not a string
    assert not checksum_matches(good, "")


def _resting() -> tuple[Any, Any, BrokerOrder]:
    setup = paper_setup()
    ex = make_executor(setup.broker)
    result = execute_approved(
        ex, "req-1", order(order_type=OrderType.LIMIT, price=Decimal("1490.0"))
    )
    setup.set_ltp("NSE:INFY", Decimal("1485.0"))
    assert result.intent.order_id is not None
    done = setup.broker.order_history(result.intent.order_id)[-1]
    return setup, ex, done


def test_good_postback_finalizes_the_intent_once_and_duplicates_are_ignored() -> None:
    _, ex, done = _resting()
    first = apply_postback(ex, payload(done), SECRET)
    assert first.action is PostbackAction.APPLIED
    assert first.intent is not None and first.intent.state is S.FINAL
    assert first.intent.outcome is RequestOutcome.EXECUTED
    assert first.intent.average_price == Decimal("1485.0")
    again = apply_postback(ex, payload(done), SECRET)
    assert again.action is PostbackAction.DUPLICATE
    assert ex.repo.get(first.intent.id) == first.intent


def test_bad_checksum_is_rejected_and_changes_nothing() -> None:
    _, ex, done = _resting()
    before = ex.repo.get_by_request("req-1")
    with pytest.raises(PostbackChecksumError) as err:
        apply_postback(ex, payload(done, secret="forged"), SECRET)
    assert err.value.http_status == 401 and "checksum" in err.value.fields
    with pytest.raises(PostbackChecksumError):
        apply_postback(ex, payload(done, status="CANCELLED"), "wrong secret")
    assert ex.repo.get_by_request("req-1") == before


def test_a_tampered_body_with_a_valid_checksum_still_needs_a_status() -> None:
    _, ex, done = _resting()
    with pytest.raises(ValidationError):
        apply_postback(ex, payload(done, status=None), SECRET)


def test_stale_postback_after_final_is_ignored() -> None:
    _, ex, done = _resting()
    apply_postback(ex, payload(done), SECRET)
    late = payload(done, status="OPEN", filled_quantity=0)
    assert apply_postback(ex, late, SECRET).action is PostbackAction.DUPLICATE
    stored = ex.repo.get_by_request("req-1")
    assert stored is not None and stored.broker_status is OrderStatus.COMPLETE


def test_unknown_orders_are_reported_not_applied() -> None:
    _, ex, done = _resting()
    foreign = payload(done, order_id="999", tag=None)
    foreign["checksum"] = postback_checksum("999", foreign["order_timestamp"], SECRET)
    assert apply_postback(ex, foreign, SECRET).action is PostbackAction.UNKNOWN_ORDER


class _Died(BaseException):
    pass


def test_postback_before_the_order_id_was_saved_is_matched_by_tag() -> None:
    setup = paper_setup()
    repo = InMemoryExecutionRepository()

    def die(step: Any, intent: Any) -> None:
        if step.value == "order_placed":
            raise _Died

    with pytest.raises(_Died):
        execute_approved(make_executor(setup.broker, repo, checkpoint=die), "req-1", order())
    intent = repo.get_by_request("req-1")
    assert intent is not None and intent.state is S.PLACING and intent.order_id is None
    (placed,) = orders_with_tag(setup.broker, intent.tag)
    ex = make_executor(setup.broker, repo)
    applied = apply_postback(ex, payload(placed), SECRET)
    assert applied.action is PostbackAction.APPLIED
    assert applied.intent is not None and applied.intent.order_id == placed.order_id
    assert [r.action.value for r in recover_pending(ex)] == []  # nothing left to recover
    assert execute_approved(ex, "req-1", order()).action.value == "existing"
    assert len(orders_with_tag(setup.broker, intent.tag)) == 1
