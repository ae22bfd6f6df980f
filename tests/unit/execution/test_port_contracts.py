"""Contract of the ExecutionRepository and PaperLedger ports.

Written against the ports only: every implementation in ``REPOSITORIES`` / ``LEDGERS``
(factories given the test's fixture request) must give the same guarantees. The SQL ones run
on a migrated DuckDB file and on a Postgres schema, each call in its own transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from desk.adapters.paper import InMemoryExecutionRepository, InMemoryPaperLedger
from desk.adapters.store.engine import Database, open_database
from desk.adapters.store.per_call import PerCall
from desk.adapters.store.repos.execution import SqlExecutionRepository, SqlPaperLedger
from desk.domain.broker import BrokerOrder
from desk.domain.errors import NotFoundError
from desk.domain.execution import ExecutionState, ExecutionStateError, new_intent
from desk.domain.orders import OrderStatus, OrderType, TransactionType
from desk.domain.paper import PaperFill
from desk.services.ports.execution import ExecutionRepository, PaperLedger
from tests.unit.execution.support import order

NOW = datetime(2026, 1, 5, 5, 0, tzinfo=UTC)
S = ExecutionState


def store(request: pytest.FixtureRequest, backend: str) -> Database:
    """A migrated store for this test (``duckdb`` or ``postgres``), disposed afterwards."""
    db = open_database(str(request.getfixturevalue(f"{backend}_url")))
    request.addfinalizer(db.dispose)
    return db


def sql_repository(backend: str) -> Callable[[pytest.FixtureRequest], ExecutionRepository]:
    def make(request: pytest.FixtureRequest) -> ExecutionRepository:
        return cast(ExecutionRepository, PerCall(store(request, backend), SqlExecutionRepository))

    return make


def sql_ledger(backend: str) -> Callable[[pytest.FixtureRequest, int], PaperLedger]:
    def make(request: pytest.FixtureRequest, cash_paise: int) -> PaperLedger:
        ledger = cast(PaperLedger, PerCall(store(request, backend), SqlPaperLedger))
        ledger.deposit(cash_paise)
        return ledger

    return make


REPOSITORIES: dict[str, Callable[[pytest.FixtureRequest], ExecutionRepository]] = {
    "memory": lambda _: InMemoryExecutionRepository(),
    "duckdb": sql_repository("duckdb"),
    "postgres": sql_repository("postgres"),
}
LEDGERS: dict[str, Callable[[pytest.FixtureRequest, int], PaperLedger]] = {
    "memory": lambda _, cash: InMemoryPaperLedger(cash),
    "duckdb": sql_ledger("duckdb"),
    "postgres": sql_ledger("postgres"),
}


def _params(names: list[str]) -> list[Any]:
    return [pytest.param(n, marks=pytest.mark.postgres) if n == "postgres" else n for n in names]


@pytest.fixture(params=_params(sorted(REPOSITORIES)))
def repo(request: pytest.FixtureRequest) -> ExecutionRepository:
    return REPOSITORIES[request.param](request)


@pytest.fixture(params=_params(sorted(LEDGERS)))
def ledger(request: pytest.FixtureRequest) -> PaperLedger:
    return LEDGERS[request.param](request, 1_000_000)


def test_save_is_unique_per_request_key_and_returns_the_first(repo: ExecutionRepository) -> None:
    first = repo.save_intent(new_intent("id1", "req-1", order(), NOW))
    second = repo.save_intent(new_intent("id2", "req-1", order(quantity=9), NOW))
    assert second == first and repo.get("id2") is None
    assert repo.get_by_request("req-1") == first
    assert repo.get_by_tag(first.tag) == first
    assert repo.get_by_order_id("nope") is None and repo.get_by_request("nope") is None


def test_transition_is_conditional_on_state_and_attempts(repo: ExecutionRepository) -> None:
    intent = repo.save_intent(new_intent("id1", "req-1", order(), NOW))
    later = NOW + timedelta(seconds=1)
    assert repo.transition("id1", S.INTENT_SAVED, S.PLACING, attempts=1, updated_at=later)
    assert not repo.transition("id1", S.INTENT_SAVED, S.PLACING, attempts=1)  # lost race
    assert not repo.transition("id1", S.PLACING, S.SUBMITTED, expected_attempts=0)
    assert repo.transition(
        "id1",
        S.PLACING,
        S.SUBMITTED,
        expected_attempts=1,
        order_id="o1",
        broker_status=OrderStatus.OPEN,
    )
    stored = repo.get("id1")
    assert stored == replace(
        intent,
        state=S.SUBMITTED,
        attempts=1,
        updated_at=later,
        order_id="o1",
        broker_status=OrderStatus.OPEN,
    )
    assert repo.get_by_order_id("o1") == stored
    assert [i.id for i in repo.list_non_final()] == ["id1"]
    assert repo.transition(
        "id1",
        S.SUBMITTED,
        S.FINAL,
        broker_status=OrderStatus.COMPLETE,
        filled_quantity=2,
        average_price=Decimal("1500.05"),
        finished_at=later,
    )
    assert repo.list_non_final() == []
    final = repo.get("id1")
    assert final is not None and final.average_price == Decimal("1500.05")


def test_illegal_moves_and_unknown_ids_raise(repo: ExecutionRepository) -> None:
    repo.save_intent(new_intent("id1", "req-1", order(), NOW))
    with pytest.raises(ExecutionStateError):
        repo.transition("id1", S.INTENT_SAVED, S.UNKNOWN_OUTCOME)
    with pytest.raises(NotFoundError):
        repo.transition("nope", S.INTENT_SAVED, S.PLACING)


def test_exactly_one_concurrent_claim_wins(repo: ExecutionRepository) -> None:
    repo.save_intent(new_intent("id1", "req-1", order(), NOW))
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def claim() -> None:
        barrier.wait()
        wins.append(repo.transition("id1", S.INTENT_SAVED, S.PLACING, attempts=1))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_list_non_final_is_oldest_first(repo: ExecutionRepository) -> None:
    repo.save_intent(new_intent("b", "req-b", order(), NOW + timedelta(seconds=5)))
    repo.save_intent(new_intent("a", "req-a", order(), NOW))
    assert [i.id for i in repo.list_non_final()] == ["a", "b"]


def _order(order_id: str, status: OrderStatus, filled: int = 0) -> BrokerOrder:
    return BrokerOrder(
        order_id=order_id,
        status=status,
        status_raw=status.value,
        status_message=None,
        tag="dkT",
        exchange="NSE",
        tradingsymbol="INFY",
        transaction_type=TransactionType.BUY,
        order_type=OrderType.MARKET,
        product="MIS",
        variety="regular",
        validity="DAY",
        quantity=2,
        filled_quantity=filled,
        pending_quantity=2 - filled,
        cancelled_quantity=0,
        price=Decimal(0),
        trigger_price=Decimal(0),
        average_price=Decimal("1500.5") if filled else Decimal(0),
        order_timestamp=NOW,
    )


def test_ledger_orders_history_fills_positions_and_cash(ledger: PaperLedger) -> None:
    assert ledger.cash_paise() == 1_000_000 and ledger.deposit(500) == 1_000_500
    ledger.add_order_step(_order("o1", OrderStatus.OPEN))
    ledger.add_order_step(_order("o2", OrderStatus.OPEN))
    fill = PaperFill(
        "f1", "o1", "dkT", "NSE", "INFY", "MIS", TransactionType.BUY, 2, Decimal("1500.5"), NOW
    )
    position = ledger.record_fill(_order("o1", OrderStatus.COMPLETE, filled=2), fill)
    assert (position.quantity, position.average_price) == (2, Decimal("1500.5"))
    assert [o.status for o in ledger.order_history("o1")] == [
        OrderStatus.OPEN,
        OrderStatus.COMPLETE,
    ]
    assert [(o.order_id, o.status) for o in ledger.orders()] == [
        ("o1", OrderStatus.COMPLETE),
        ("o2", OrderStatus.OPEN),
    ]
    assert list(ledger.order_history("nope")) == []
    assert list(ledger.fills()) == [fill]
    assert ledger.position("NSE", "INFY", "MIS") == position
    assert list(ledger.positions()) == [position]
    assert ledger.cash_paise() == 1_000_500 - 300_100
    assert ledger.realized_paise() == 0
