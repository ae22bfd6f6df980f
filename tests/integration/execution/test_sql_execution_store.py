"""The SQL execution store and paper ledger beyond the port contract: transactions of their
own (concurrent claims, a replayed save inside a live transaction, atomic fills), exact round
trips, and the same books as the in-memory ledger for one script of orders and fills."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from desk.adapters.paper import InMemoryPaperLedger
from desk.adapters.store.engine import Database, open_database
from desk.adapters.store.repos.execution import SqlExecutionRepository, SqlPaperLedger
from desk.adapters.store.tables import execution_intents
from desk.domain.broker import BrokerOrder
from desk.domain.clock import IST
from desk.domain.errors import ConflictError
from desk.domain.execution import ExecutionState, new_intent
from desk.domain.orders import OrderStatus, OrderType, Product, TransactionType, Validity
from desk.domain.paper import PaperFill, PaperPosition
from desk.services.ports.execution import PaperLedger
from tests.unit.execution.support import order

NOW = datetime(2026, 1, 5, 5, 0, tzinfo=UTC)
S = ExecutionState
T = TypeVar("T")


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    database = open_database(store_url)
    try:
        yield database
    finally:
        database.dispose()


def in_tx(db: Database, work: Callable[[Connection], T]) -> T:
    """One committed transaction, like a unit of work (write lock on DuckDB)."""
    lock = db.write_lock if db.is_duckdb else contextlib.nullcontext()
    with lock, db.engine.begin() as conn:
        return work(conn)


def test_concurrent_save_and_claim_one_winner(db: Database) -> None:
    """8 executors, each in its own transaction: save the same request's intent, claim it."""
    barrier = threading.Barrier(8)
    results: list[tuple[str, bool]] = []

    def executor(n: int) -> None:
        barrier.wait()

        def work(conn: Connection) -> tuple[str, bool]:
            repo = SqlExecutionRepository(conn)
            saved = repo.save_intent(new_intent(f"id{n}", "req-1", order(), NOW))
            return saved.id, repo.transition(saved.id, S.INTENT_SAVED, S.PLACING, attempts=1)

        results.append(in_tx(db, work))

    threads = [threading.Thread(target=executor, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won for _, won in results) == [False] * 7 + [True]
    assert len({saved_id for saved_id, _ in results}) == 1
    count = in_tx(db, lambda c: c.execute(sa.select(sa.func.count()).select_from(
        execution_intents)).scalar_one())  # fmt: skip
    assert count == 1


def test_replayed_save_keeps_the_callers_transaction_usable(db: Database) -> None:
    def work(conn: Connection) -> None:
        repo = SqlExecutionRepository(conn)
        first = repo.save_intent(new_intent("id1", "req-1", order(), NOW))
        assert repo.save_intent(new_intent("id2", "req-1", order(quantity=5), NOW)) == first
        assert repo.transition("id1", S.INTENT_SAVED, S.PLACING, attempts=1)  # still usable

    in_tx(db, work)
    stored = in_tx(db, lambda c: SqlExecutionRepository(c).get("id1"))
    assert stored is not None and (stored.state, stored.attempts) == (S.PLACING, 1)


def test_intent_round_trips_exactly_and_clashes_are_refused(db: Database) -> None:
    limit = order(
        order_type=OrderType.SL, price=Decimal("1499.95"), trigger_price=Decimal("1500.05"),
        product=Product.CNC, validity=Validity.IOC, market_protection=3,
    )  # fmt: skip
    intent = new_intent("id1", "req-1", limit, NOW)

    def work(conn: Connection) -> None:
        repo = SqlExecutionRepository(conn)
        assert repo.save_intent(intent) == intent
        assert repo.get("id1") == intent and repo.get_by_tag(intent.tag) == intent
        with pytest.raises(ConflictError, match="taken"):
            repo.save_intent(new_intent("id1", "req-2", order(), NOW))
        with pytest.raises(ValueError, match="not transition fields"):
            repo.transition("id1", S.INTENT_SAVED, S.PLACING, state="final")

    in_tx(db, work)


def _step(order_id: str, status: OrderStatus, filled: int = 0, price: str = "0") -> BrokerOrder:
    return BrokerOrder(
        order_id=order_id, status=status, status_raw=status.value, status_message="ok",
        tag="dkT" + order_id, exchange="NSE", tradingsymbol="INFY",
        transaction_type=TransactionType.BUY, order_type=OrderType.LIMIT, product="CNC",
        variety="regular", validity="DAY", quantity=10, filled_quantity=filled,
        pending_quantity=10 - filled, cancelled_quantity=0, price=Decimal("1500.05"),
        trigger_price=Decimal(0), average_price=Decimal(price),
        order_timestamp=datetime(2026, 1, 5, 10, 30, 1, 250, tzinfo=IST),
        exchange_order_id="1300000" + order_id,
    )  # fmt: skip


def _fill(n: int, side: TransactionType, qty: int, price: str, symbol: str = "INFY") -> PaperFill:
    return PaperFill(
        f"f{n}",
        f"o{n}",
        None,
        "NSE",
        symbol,
        "CNC",
        side,
        qty,
        Decimal(price),
        NOW + timedelta(seconds=n),
    )


BUY, SELL = TransactionType.BUY, TransactionType.SELL
SCRIPT = [  # open, add, partly close, flip short, another symbol, close the short
    _fill(1, BUY, 10, "100.05"),
    _fill(2, BUY, 5, "101.10"),
    _fill(3, SELL, 8, "102.35", "TCS"),
    _fill(4, SELL, 12, "99.95"),
    _fill(5, SELL, 6, "103.00"),
    _fill(6, BUY, 3, "98.40"),
]


def _replay(ledger: PaperLedger) -> None:
    ledger.deposit(10_000_000)
    ledger.add_order_step(_step("o9", OrderStatus.OPEN))
    for fill in SCRIPT:
        ledger.add_order_step(_step(fill.order_id, OrderStatus.OPEN))
        ledger.record_fill(_step(fill.order_id, OrderStatus.COMPLETE, 10, str(fill.price)), fill)
    ledger.add_order_step(_step("o9", OrderStatus.CANCELLED))
    ledger.deposit(-1_000)


def test_the_same_books_as_the_in_memory_ledger(db: Database) -> None:
    memory = InMemoryPaperLedger()
    _replay(memory)

    def check(conn: Connection) -> None:
        sql = SqlPaperLedger(conn)
        _replay(sql)
        assert sql.orders() == memory.orders()
        assert [o.order_id for o in sql.orders()] == ["o9", "o1", "o2", "o3", "o4", "o5", "o6"]
        assert sql.order_history("o9") == memory.order_history("o9")
        assert sql.fills() == memory.fills()
        assert sql.positions() == memory.positions()
        assert sql.position("NSE", "INFY", "CNC") == memory.position("NSE", "INFY", "CNC")
        assert (sql.cash_paise(), sql.realized_paise()) == (
            memory.cash_paise(),
            memory.realized_paise(),
        )
        assert sql.realized_paise() != 0

    in_tx(db, check)


def test_record_fill_is_all_or_nothing(db: Database) -> None:
    fill = _fill(1, BUY, 10, "100.05")

    def doomed(conn: Connection) -> None:
        SqlPaperLedger(conn).record_fill(_step("o1", OrderStatus.COMPLETE, 10), fill)
        raise RuntimeError("crash after the fill")

    with pytest.raises(RuntimeError):
        in_tx(db, doomed)
    in_tx(db, lambda c: SqlPaperLedger(c).record_fill(_step("o1", OrderStatus.OPEN), fill))
    with pytest.raises(sa_exc.IntegrityError):  # the same fill twice is refused whole
        in_tx(db, lambda c: SqlPaperLedger(c).record_fill(_step("o1", OrderStatus.OPEN), fill))

    def books(conn: Connection) -> tuple[int, int, PaperPosition | None, int]:
        ledger = SqlPaperLedger(conn)
        position = ledger.position("NSE", "INFY", "CNC")
        return len(ledger.fills()), len(ledger.order_history("o1")), position, ledger.cash_paise()

    count, steps, position, cash = in_tx(db, books)
    assert (count, steps, cash) == (1, 1, -100_050)
    assert position is not None and position.quantity == 10


def test_concurrent_fills_lose_no_update(db: Database) -> None:
    first = _fill(99, BUY, 1, "100.00")
    in_tx(db, lambda c: SqlPaperLedger(c).record_fill(_step("o99", OrderStatus.OPEN), first))
    barrier = threading.Barrier(6)

    def buy(n: int) -> None:
        barrier.wait()
        fill = _fill(n, BUY, 1, "100.00")
        in_tx(db, lambda c: SqlPaperLedger(c).record_fill(_step(f"o{n}", OrderStatus.OPEN), fill))

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    position = in_tx(db, lambda c: SqlPaperLedger(c).position("NSE", "INFY", "CNC"))
    assert position is not None and position.quantity == 7
    assert in_tx(db, lambda c: SqlPaperLedger(c).cash_paise()) == -70_000
