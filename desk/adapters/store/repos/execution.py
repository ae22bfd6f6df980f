"""Execution intents (exactly-once orders) and the paper broker's books, on the caller's
connection and transaction.

SQL versions of :mod:`desk.adapters.paper.memory`, with the same behaviour: ``save_intent``
is ``INSERT … ON CONFLICT DO NOTHING`` (on DuckDB, under its write lock: a read, then a plain
insert) and a read only on a clash (a replay gets the stored row and the caller's
transaction stays usable on Postgres); ``transition`` is one conditional update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from desk.adapters.store.tables import (
    execution_intents,
    paper_account,
    paper_fills,
    paper_orders,
    paper_positions,
)
from desk.domain.broker import BrokerOrder, OrderIntent
from desk.domain.errors import ConflictError, NotFoundError
from desk.domain.execution import (
    NON_TERMINAL_STATES,
    TRANSITION_FIELDS,
    ExecutionIntent,
    ExecutionState,
    ExecutionStateError,
    can_transition,
)
from desk.domain.orders import (
    OrderStatus,
    OrderType,
    Product,
    TransactionType,
    Validity,
    Variety,
)
from desk.domain.paper import PaperFill, PaperPosition, apply_fill

X = execution_intents
A = paper_account
O = paper_orders  # noqa: E741
F = paper_fills
P = paper_positions
ACCOUNT_ID = 1


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


# --- JSON forms of the domain objects -------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)  # exact: prices come back as they went in
    if isinstance(value, datetime):
        return value.isoformat()  # keeps the offset (Kite's IST)
    return value


def to_json(value: OrderIntent | BrokerOrder) -> dict[str, Any]:
    """An order as JSON values: enums by value, Decimals as strings, datetimes ISO 8601."""
    return {name: _plain(v) for name, v in asdict(value).items()}


def order_intent_from_json(data: Mapping[str, Any]) -> OrderIntent:
    return OrderIntent(
        **{
            **data,
            "transaction_type": TransactionType(data["transaction_type"]),
            "order_type": OrderType(data["order_type"]),
            "product": Product(data["product"]),
            "price": _decimal(data.get("price")),
            "trigger_price": _decimal(data.get("trigger_price")),
            "validity": Validity(data.get("validity", Validity.DAY.value)),
            "variety": Variety(data.get("variety", Variety.REGULAR.value)),
        }
    )


def broker_order_from_json(data: Mapping[str, Any]) -> BrokerOrder:
    stamp = data.get("order_timestamp")
    return BrokerOrder(
        **{
            **data,
            "status": OrderStatus(data["status"]),
            "transaction_type": TransactionType(data["transaction_type"]),
            "order_type": OrderType(data["order_type"]),
            "price": Decimal(data["price"]),
            "trigger_price": Decimal(data["trigger_price"]),
            "average_price": Decimal(data["average_price"]),
            "order_timestamp": datetime.fromisoformat(stamp) if stamp else None,
        }
    )


# --- execution intents ------------------------------------------------------------------------


def _intent(row: Any) -> ExecutionIntent:
    return ExecutionIntent(
        id=row.id,
        request_id=row.request_id,
        idempotency_key=row.idempotency_key,
        tag=row.tag,
        order=order_intent_from_json(row.order_intent),
        state=ExecutionState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        attempts=row.attempts,
        order_id=row.order_id,
        broker_status=OrderStatus(row.broker_status) if row.broker_status else None,
        status_message=row.status_message,
        filled_quantity=row.filled_quantity,
        average_price=_decimal(row.average_price),
        last_error=row.last_error,
        finished_at=row.finished_at,
    )


def _intent_values(intent: ExecutionIntent) -> dict[str, Any]:
    values = {k: v for k, v in asdict(intent).items() if k != "order"}
    values.update(
        order_intent=to_json(intent.order),
        state=intent.state.value,
        broker_status=intent.broker_status.value if intent.broker_status else None,
    )
    return values


def _transition_values(fields: Mapping[str, object]) -> dict[str, object]:
    unknown = set(fields) - TRANSITION_FIELDS
    if unknown:
        raise ValueError(f"not transition fields: {sorted(unknown)}")
    values = dict(fields)
    status = values.get("broker_status")
    if status is not None:
        values["broker_status"] = OrderStatus(str(status)).value
    return values


class SqlExecutionRepository:
    """The :class:`~desk.services.ports.execution.ExecutionRepository` port in SQL."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # DuckDB writers hold the process-wide write lock, so nothing can insert between a
        # read and an insert; there ON CONFLICT (checked against all five unique indexes)
        # costs more than a read plus a plain insert. The unique indexes still refuse any
        # duplicate either way.
        self._serialized = conn.dialect.name == "duckdb"

    def save_intent(self, intent: ExecutionIntent) -> ExecutionIntent:
        if self._serialized:
            clash = self._conn.execute(
                sa.select(X.c.id).where(
                    (X.c.idempotency_key == intent.idempotency_key) | (X.c.id == intent.id)
                )
            ).first()
            if clash is None:
                self._conn.execute(X.insert().values(**_intent_values(intent)))
                return intent
        else:
            insert = pg_insert(X).values(**_intent_values(intent)).on_conflict_do_nothing()
            if self._conn.execute(insert.returning(X.c.id)).first() is not None:
                return intent  # stored as given: no read back
        stored = self._one(X.c.idempotency_key == intent.idempotency_key)
        if stored is not None:
            return stored
        if self.get(intent.id) is not None:
            raise ConflictError(f"execution id {intent.id} is taken", fields={"id": "already used"})
        raise ConflictError(
            f"execution for request {intent.request_id} clashes with another execution",
            fields={"request_id": "tag or request already used by another execution"},
        )

    def transition(
        self,
        intent_id: str,
        from_state: ExecutionState,
        to_state: ExecutionState,
        *,
        expected_attempts: int | None = None,
        **fields: object,
    ) -> bool:
        if not can_transition(from_state, to_state):
            raise ExecutionStateError(
                f"execution cannot go from {from_state.value} to {to_state.value}",
                fields={"state": f"{from_state.value} does not allow {to_state.value}"},
            )
        values = _transition_values(fields)
        query = X.update().where(X.c.id == intent_id, X.c.state == from_state.value)
        if expected_attempts is not None:
            query = query.where(X.c.attempts == expected_attempts)
        if self._conn.execute(query.values(state=to_state.value, **values)).rowcount == 1:
            return True
        if self._conn.execute(sa.select(X.c.id).where(X.c.id == intent_id)).first() is None:
            raise NotFoundError(f"no execution {intent_id}", fields={"intent_id": "unknown"})
        return False

    def _one(self, condition: sa.ColumnElement[bool]) -> ExecutionIntent | None:
        row = self._conn.execute(sa.select(X).where(condition)).first()
        return _intent(row) if row is not None else None

    def get(self, intent_id: str) -> ExecutionIntent | None:
        return self._one(X.c.id == intent_id)

    def get_by_request(self, request_id: str) -> ExecutionIntent | None:
        return self._one(X.c.request_id == request_id)

    def get_by_tag(self, tag: str) -> ExecutionIntent | None:
        return self._one(X.c.tag == tag)

    def get_by_order_id(self, order_id: str) -> ExecutionIntent | None:
        return self._one(X.c.order_id == order_id)

    def list_non_final(self) -> Sequence[ExecutionIntent]:
        rows = self._conn.execute(
            sa.select(X)
            .where(X.c.state.in_([s.value for s in NON_TERMINAL_STATES]))
            .order_by(X.c.created_at, X.c.id)
        )
        return [_intent(r) for r in rows]


# --- the paper ledger ---------------------------------------------------------------------------


def _fill(row: Any) -> PaperFill:
    return PaperFill(
        fill_id=row.fill_id,
        order_id=row.order_id,
        tag=row.tag,
        exchange=row.exchange,
        tradingsymbol=row.tradingsymbol,
        product=row.product,
        transaction_type=TransactionType(row.transaction_type),
        quantity=row.quantity,
        price=Decimal(row.price),
        filled_at=row.filled_at,
    )


def _position(row: Any) -> PaperPosition:
    return PaperPosition(
        exchange=row.exchange,
        tradingsymbol=row.tradingsymbol,
        product=row.product,
        quantity=int(row.quantity),
        average_price=Decimal(row.average_price),
        realized_paise=int(row.realized_paise),
    )


class SqlPaperLedger:
    """The :class:`~desk.services.ports.execution.PaperLedger` port in SQL (one account).

    ``record_fill`` first locks the account row (``FOR UPDATE`` on Postgres; on DuckDB the
    caller holds the process write lock), so concurrent fills never lose a position update.
    """

    def __init__(self, conn: Connection, *, lock_rows: bool | None = None) -> None:
        self._conn = conn
        self._lock_rows = conn.dialect.name == "postgresql" if lock_rows is None else lock_rows

    def cash_paise(self) -> int:
        value = self._conn.execute(sa.select(A.c.cash_paise).where(A.c.id == ACCOUNT_ID)).scalar()
        return int(value or 0)

    def deposit(self, amount_paise: int) -> int:
        balance = self._conn.execute(
            A.update()
            .where(A.c.id == ACCOUNT_ID)
            .values(cash_paise=A.c.cash_paise + amount_paise)
            .returning(A.c.cash_paise)
        ).scalar()
        if balance is None:  # the migration creates the row; recreate it if it was removed
            self._conn.execute(A.insert().values(id=ACCOUNT_ID, cash_paise=amount_paise))
            return amount_paise
        return int(balance)

    def add_order_step(self, order: BrokerOrder) -> None:
        self._conn.execute(
            O.insert().values(
                order_id=order.order_id,
                status=order.status.value,
                tag=order.tag,
                exchange=order.exchange,
                tradingsymbol=order.tradingsymbol,
                filled_quantity=order.filled_quantity,
                broker_order=to_json(order),
            )
        )

    def orders(self) -> Sequence[BrokerOrder]:
        steps = sa.select(
            O.c.broker_order,
            sa.func.row_number()
            .over(partition_by=O.c.order_id, order_by=O.c.seq.desc())
            .label("newest"),
            sa.func.min(O.c.seq).over(partition_by=O.c.order_id).label("placed"),
        ).subquery()
        rows = self._conn.execute(
            sa.select(steps.c.broker_order).where(steps.c.newest == 1).order_by(steps.c.placed)
        )
        return [broker_order_from_json(r.broker_order) for r in rows]

    def order_history(self, order_id: str) -> Sequence[BrokerOrder]:
        rows = self._conn.execute(
            sa.select(O.c.broker_order).where(O.c.order_id == order_id).order_by(O.c.seq)
        )
        return [broker_order_from_json(r.broker_order) for r in rows]

    def record_fill(self, order: BrokerOrder, fill: PaperFill) -> PaperPosition:
        self._lock_account()
        current = self.position(fill.exchange, fill.tradingsymbol, fill.product)
        effect = apply_fill(current, fill)
        self._conn.execute(
            F.insert().values({**asdict(fill), "transaction_type": fill.transaction_type.value})
        )
        self.add_order_step(order)
        position = effect.position
        values = {
            "quantity": position.quantity,
            "average_price": position.average_price,
            "realized_paise": position.realized_paise,
            "updated_at": fill.filled_at,
        }
        if current is None:
            self._conn.execute(
                P.insert().values(**dict(zip(_KEY, position.key, strict=True)), **values)
            )
        else:
            self._conn.execute(P.update().where(*_key_filter(position.key)).values(**values))
        self.deposit(effect.cash_delta_paise)
        return position

    def _lock_account(self) -> None:
        query = sa.select(A.c.id).where(A.c.id == ACCOUNT_ID)
        if self._lock_rows:
            query = query.with_for_update()
        if self._conn.execute(query).first() is None:
            self._conn.execute(A.insert().values(id=ACCOUNT_ID, cash_paise=0))

    def position(self, exchange: str, tradingsymbol: str, product: str) -> PaperPosition | None:
        row = self._conn.execute(
            sa.select(P).where(*_key_filter((exchange, tradingsymbol, product)))
        ).first()
        return _position(row) if row is not None else None

    def positions(self) -> Sequence[PaperPosition]:
        return [_position(r) for r in self._conn.execute(sa.select(P).order_by(P.c.seq))]

    def fills(self) -> Sequence[PaperFill]:
        return [_fill(r) for r in self._conn.execute(sa.select(F).order_by(F.c.seq))]

    def realized_paise(self) -> int:
        total = self._conn.execute(sa.select(sa.func.sum(P.c.realized_paise))).scalar()
        return int(total or 0)


_KEY = ("exchange", "tradingsymbol", "product")


def _key_filter(key: tuple[str, str, str]) -> list[sa.ColumnElement[bool]]:
    return [P.c.exchange == key[0], P.c.tradingsymbol == key[1], P.c.product == key[2]]
