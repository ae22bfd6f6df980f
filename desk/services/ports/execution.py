"""Ports of exactly-once execution and of the paper broker's books.

In-memory implementations: :mod:`desk.adapters.paper.memory`. SQL ones must keep the same
guarantees: ``save_intent`` is an insert that is unique per ``idempotency_key`` (and per
``tag``/``request_id``, which derive from it) and returns the stored row on conflict;
``transition`` is one conditional ``UPDATE … WHERE id = :id AND state = :from_state``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from desk.domain.broker import BrokerOrder
from desk.domain.execution import ExecutionIntent, ExecutionState
from desk.domain.paper import PaperFill, PaperPosition


class ExecutionRepository(Protocol):
    def save_intent(self, intent: ExecutionIntent) -> ExecutionIntent:
        """Insert ``intent``; if one with the same ``idempotency_key`` exists, change nothing
        and return the stored one (so a replay sees the first execution)."""
        ...

    def transition(
        self,
        intent_id: str,
        from_state: ExecutionState,
        to_state: ExecutionState,
        *,
        expected_attempts: int | None = None,
        **fields: object,
    ) -> bool:
        """Set ``state = to_state`` and ``fields`` (names in
        ``desk.domain.execution.TRANSITION_FIELDS``) only if the intent is in ``from_state``
        (and, when given, has ``attempts == expected_attempts``). False when it is not
        (another executor won); raises ``ExecutionStateError`` for a move the state machine
        forbids and ``NotFoundError`` for an unknown id."""
        ...

    def get(self, intent_id: str) -> ExecutionIntent | None: ...

    def get_by_request(self, request_id: str) -> ExecutionIntent | None: ...

    def get_by_tag(self, tag: str) -> ExecutionIntent | None: ...

    def get_by_order_id(self, order_id: str) -> ExecutionIntent | None: ...

    def list_non_final(self) -> Sequence[ExecutionIntent]:
        """Every intent not in ``final``/``failed``, oldest first."""
        ...


class PaperLedger(Protocol):
    """The paper broker's books: its order book, fills, positions and cash (paise)."""

    def cash_paise(self) -> int: ...

    def deposit(self, amount_paise: int) -> int:
        """Add (or with a negative amount, withdraw) cash; returns the new balance."""
        ...

    def add_order_step(self, order: BrokerOrder) -> None:
        """Append one state of an order (its history); the last one is its current state."""
        ...

    def orders(self) -> Sequence[BrokerOrder]:
        """Current state of every order, in placement order."""
        ...

    def order_history(self, order_id: str) -> Sequence[BrokerOrder]:
        """Every state of one order, oldest first; empty if unknown."""
        ...

    def record_fill(self, order: BrokerOrder, fill: PaperFill) -> PaperPosition:
        """Atomically: append ``order`` (its filled state), store ``fill``, and apply it to
        the position, cash and realized P&L with ``desk.domain.paper.apply_fill``."""
        ...

    def position(self, exchange: str, tradingsymbol: str, product: str) -> PaperPosition | None: ...

    def positions(self) -> Sequence[PaperPosition]: ...

    def fills(self) -> Sequence[PaperFill]: ...

    def realized_paise(self) -> int:
        """Realized P&L over all positions."""
        ...
