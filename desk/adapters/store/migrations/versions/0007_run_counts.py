"""Run counts: runs per (agent, status, IST day), kept by the runs repository.

The run history answers its ``count`` from these rows instead of counting an agent's runs
(a million rows on a busy agent) on every page; status and IST date-range filters are
sums over at most a few thousand rows. The backfill counts the runs already stored.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Naive UTC timestamps; India has no daylight saving, so the IST day is UTC + 5:30.
BACKFILL = (
    "INSERT INTO run_counts (agent_id, status, day, n) "
    "SELECT agent_id, status, CAST(created_at + INTERVAL '330 minutes' AS DATE), COUNT(*) "
    "FROM analysis_runs GROUP BY 1, 2, 3"
)


def upgrade() -> None:
    op.create_table(
        "run_counts",
        sa.Column("agent_id", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("run_counts")
