"""Instruments master and trade proposals.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desk.adapters.store.types import JSONType, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("exchange", sa.String(8), primary_key=True),
        sa.Column("tradingsymbol", sa.String(64), primary_key=True),
        sa.Column("instrument_token", sa.BigInteger, nullable=False),
        sa.Column("exchange_token", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("last_price", sa.Numeric(18, 4), nullable=False),
        sa.Column("expiry", sa.Date, nullable=True),
        sa.Column("strike", sa.Numeric(18, 4), nullable=False),
        sa.Column("tick_size", sa.Numeric(12, 4), nullable=False),
        sa.Column("lot_size", sa.Integer, nullable=False),
        sa.Column("instrument_type", sa.String(8), nullable=False),
        sa.Column("segment", sa.String(16), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "trade_proposals",
        sa.Column("id", ID, primary_key=True),
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("proposer_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("instrument", sa.String(80), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("value_paise", sa.BigInteger, nullable=True),
        sa.Column("ltp_at_creation", sa.Numeric(18, 4), nullable=True),
        sa.Column("proposal", JSONType, nullable=False),
        sa.Column("risk", JSONType, nullable=False),
        sa.Column("request_id", ID, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    for column in ("agent_id", "run_id", "request_id", "created_at"):
        op.create_index(f"ix_trade_proposals_{column}", "trade_proposals", [column])
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(
            "fk_trade_proposals_agent_id", "trade_proposals", "agents", ["agent_id"], ["id"]
        )


def downgrade() -> None:
    op.drop_table("trade_proposals")
    op.drop_table("instruments")
