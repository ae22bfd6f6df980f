"""Execution intents (exactly-once orders) and the paper broker's books.

No foreign keys, on either back-end: an intent's ``request_id`` is the approval request's id,
but the execution store is also used on its own (paper trading, contract tests), and paper
orders, fills and positions refer to broker order ids, which are not unique in the history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desk.adapters.store.types import JSONType, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.String(32)
SEQ = "paper_ledger_seq"
NEXT_SEQ = sa.text(f"nextval('{SEQ}')")


def _execution_intents() -> None:
    op.create_table(
        "execution_intents",
        sa.Column("id", ID, primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("tag", sa.String(20), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("order_intent", JSONType, nullable=False),
        sa.Column("broker_status", sa.String(32), nullable=True),
        sa.Column("status_message", sa.Text, nullable=True),
        sa.Column("filled_quantity", sa.Integer, nullable=False),
        sa.Column("average_price", sa.Numeric(18, 4), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("request_id", name="uq_execution_intents_request_id"),
        sa.UniqueConstraint("idempotency_key", name="uq_execution_intents_idempotency_key"),
        sa.UniqueConstraint("tag", name="uq_execution_intents_tag"),
        sa.UniqueConstraint("order_id", name="uq_execution_intents_order_id"),
    )
    for column in ("state", "created_at"):
        op.create_index(f"ix_execution_intents_{column}", "execution_intents", [column])


def _paper_books() -> None:
    op.execute(f"CREATE SEQUENCE {SEQ}")
    op.create_table(
        "paper_account",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("cash_paise", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO paper_account (id, cash_paise) VALUES (1, 0)")
    op.create_table(
        "paper_orders",
        sa.Column(
            "seq", sa.BigInteger, primary_key=True, autoincrement=False, server_default=NEXT_SEQ
        ),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("tag", sa.String(32), nullable=True),
        sa.Column("exchange", sa.String(8), nullable=False),
        sa.Column("tradingsymbol", sa.String(64), nullable=False),
        sa.Column("filled_quantity", sa.Integer, nullable=False),
        sa.Column("broker_order", JSONType, nullable=False),
    )
    op.create_index("ix_paper_orders_order_id", "paper_orders", ["order_id"])
    op.create_index("ix_paper_orders_tag", "paper_orders", ["tag"])
    op.create_table(
        "paper_fills",
        sa.Column("fill_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, server_default=NEXT_SEQ),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("tag", sa.String(32), nullable=True),
        sa.Column("exchange", sa.String(8), nullable=False),
        sa.Column("tradingsymbol", sa.String(64), nullable=False),
        sa.Column("product", sa.String(8), nullable=False),
        sa.Column("transaction_type", sa.String(4), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("price", sa.Numeric(18, 4), nullable=False),
        sa.Column("filled_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_paper_fills_order_id", "paper_fills", ["order_id"])
    op.create_table(
        "paper_positions",
        sa.Column("exchange", sa.String(8), primary_key=True),
        sa.Column("tradingsymbol", sa.String(64), primary_key=True),
        sa.Column("product", sa.String(8), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, server_default=NEXT_SEQ),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("average_price", sa.Numeric(18, 4), nullable=False),
        sa.Column("realized_paise", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def upgrade() -> None:
    _execution_intents()
    _paper_books()


def downgrade() -> None:
    for table in ("paper_positions", "paper_fills", "paper_orders", "paper_account"):
        op.drop_table(table)
    op.execute(f"DROP SEQUENCE {SEQ}")
    op.drop_table("execution_intents")
