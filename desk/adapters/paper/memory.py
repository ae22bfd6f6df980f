"""In-memory, thread-safe implementations of the execution and paper-ledger ports.

Real implementations (tests and the demo use them until the SQL ones exist): every method
holds one lock, so each call is atomic, like one SQL statement/transaction would be.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from desk.domain.broker import BrokerOrder
from desk.domain.errors import ConflictError, NotFoundError
from desk.domain.execution import (
    ExecutionIntent,
    ExecutionState,
    ExecutionStateError,
    can_transition,
    transitioned,
)
from desk.domain.paper import PaperFill, PaperPosition, apply_fill


class InMemoryExecutionRepository:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, ExecutionIntent] = {}
        self._by_key: dict[str, str] = {}
        self._by_tag: dict[str, str] = {}
        self._by_request: dict[str, str] = {}
        self._by_order: dict[str, str] = {}

    def save_intent(self, intent: ExecutionIntent) -> ExecutionIntent:
        with self._lock:
            existing = self._by_key.get(intent.idempotency_key)
            if existing is not None:
                return self._rows[existing]
            if intent.id in self._rows:
                raise ConflictError(
                    f"execution id {intent.id} is taken", fields={"id": "already used"}
                )
            self._rows[intent.id] = intent
            self._by_key[intent.idempotency_key] = intent.id
            self._by_tag[intent.tag] = intent.id
            self._by_request[intent.request_id] = intent.id
            if intent.order_id:
                self._by_order[intent.order_id] = intent.id
            return intent

    def transition(
        self,
        intent_id: str,
        from_state: ExecutionState,
        to_state: ExecutionState,
        *,
        expected_attempts: int | None = None,
        **fields: Any,
    ) -> bool:
        if not can_transition(from_state, to_state):
            raise ExecutionStateError(
                f"execution cannot go from {from_state.value} to {to_state.value}",
                fields={"state": f"{from_state.value} does not allow {to_state.value}"},
            )
        with self._lock:
            row = self._rows.get(intent_id)
            if row is None:
                raise NotFoundError(f"no execution {intent_id}", fields={"intent_id": "unknown"})
            if row.state is not from_state:
                return False
            if expected_attempts is not None and row.attempts != expected_attempts:
                return False
            moved = transitioned(row, to_state, **fields)
            self._rows[intent_id] = moved
            if moved.order_id:
                self._by_order[moved.order_id] = intent_id
            return True

    def get(self, intent_id: str) -> ExecutionIntent | None:
        with self._lock:
            return self._rows.get(intent_id)

    def _lookup(self, index: dict[str, str], value: str) -> ExecutionIntent | None:
        with self._lock:
            found = index.get(value)
            return None if found is None else self._rows[found]

    def get_by_request(self, request_id: str) -> ExecutionIntent | None:
        return self._lookup(self._by_request, request_id)

    def get_by_tag(self, tag: str) -> ExecutionIntent | None:
        return self._lookup(self._by_tag, tag)

    def get_by_order_id(self, order_id: str) -> ExecutionIntent | None:
        return self._lookup(self._by_order, order_id)

    def list_non_final(self) -> Sequence[ExecutionIntent]:
        with self._lock:
            rows = [r for r in self._rows.values() if not r.is_terminal]
        return sorted(rows, key=lambda r: r.created_at)


class InMemoryPaperLedger:
    def __init__(self, cash_paise: int = 0) -> None:
        self._lock = threading.Lock()
        self._cash = cash_paise
        self._history: dict[str, list[BrokerOrder]] = {}
        self._fills: list[PaperFill] = []
        self._positions: dict[tuple[str, str, str], PaperPosition] = {}

    def cash_paise(self) -> int:
        with self._lock:
            return self._cash

    def deposit(self, amount_paise: int) -> int:
        with self._lock:
            self._cash += amount_paise
            return self._cash

    def add_order_step(self, order: BrokerOrder) -> None:
        with self._lock:
            self._history.setdefault(order.order_id, []).append(order)

    def orders(self) -> Sequence[BrokerOrder]:
        with self._lock:
            return [steps[-1] for steps in self._history.values()]

    def order_history(self, order_id: str) -> Sequence[BrokerOrder]:
        with self._lock:
            return list(self._history.get(order_id, ()))

    def record_fill(self, order: BrokerOrder, fill: PaperFill) -> PaperPosition:
        key = (fill.exchange, fill.tradingsymbol, fill.product)
        with self._lock:
            effect = apply_fill(self._positions.get(key), fill)
            self._history.setdefault(order.order_id, []).append(order)
            self._fills.append(fill)
            self._positions[key] = effect.position
            self._cash += effect.cash_delta_paise
            return effect.position

    def position(self, exchange: str, tradingsymbol: str, product: str) -> PaperPosition | None:
        with self._lock:
            return self._positions.get((exchange, tradingsymbol, product))

    def positions(self) -> Sequence[PaperPosition]:
        with self._lock:
            return list(self._positions.values())

    def fills(self) -> Sequence[PaperFill]:
        with self._lock:
            return list(self._fills)

    def realized_paise(self) -> int:
        with self._lock:
            return sum(p.realized_paise for p in self._positions.values())
