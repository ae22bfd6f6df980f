"""Research runs and their events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desk.adapters.store.types import JSONType, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "analysis_runs",
        sa.Column("id", ID, primary_key=True),
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("config_version", sa.Integer, nullable=True),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("model", sa.String(120), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("replay", sa.String(200), nullable=True),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("completed_at", UTCDateTime, nullable=True),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("stop_reason", sa.String(24), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("result_text", sa.Text, nullable=True),
        sa.Column("proposals", JSONType, nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Numeric(14, 6), nullable=False),
        sa.Column("steps", sa.Integer, nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("artifact_path", sa.String(500), nullable=True),
    )
    op.create_index("ix_analysis_runs_agent_created", "analysis_runs", ["agent_id", "created_at"])
    op.create_index("ix_analysis_runs_status", "analysis_runs", ["status"])
    op.create_table(
        "run_events",
        sa.Column("run_id", ID, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(
            "fk_analysis_runs_agent_id", "analysis_runs", "agents", ["agent_id"], ["id"]
        )
        op.create_foreign_key(
            "fk_run_events_run_id", "run_events", "analysis_runs", ["run_id"], ["id"]
        )


def downgrade() -> None:
    op.drop_table("run_events")
    op.drop_table("analysis_runs")
