"""Run history: an index for the default page (newest first, per agent).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_analysis_runs_agent_created_id", "analysis_runs", ["agent_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_analysis_runs_agent_created_id", table_name="analysis_runs")
