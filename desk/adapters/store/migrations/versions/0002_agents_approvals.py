"""Agents, config versions, approval requests and decisions, kill switch, idempotency keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desk.adapters.store.types import JSONType, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(32)
TABLES = (
    "idempotency_keys",
    "desk_controls",
    "approval_decisions",
    "approval_request_members",
    "approval_requests",
    "agent_config_versions",
    "agent_members",
    "agents",
)


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("approver_ids", JSONType, nullable=False),
        sa.Column("escalation_approver_ids", JSONType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pause_reason", sa.String(500), nullable=True),
        sa.Column("kill_switch", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_agents_owner_id", "agents", ["owner_id"])
    op.create_table(
        "agent_members",
        sa.Column("agent_id", ID, primary_key=True),
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
    )
    op.create_index("ix_agent_members_user_id", "agent_members", ["user_id"])
    op.create_table(
        "agent_config_versions",
        sa.Column("agent_id", ID, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("config", JSONType, nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "approval_requests",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("proposer_id", ID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("escalated", sa.Boolean, nullable=False),
        sa.Column("escalated_at", UTCDateTime, nullable=True),
        sa.Column("quorum", sa.Integer, nullable=False),
        sa.Column("reject_quorum", sa.Integer, nullable=False),
        sa.Column("allow_self_approval", sa.Boolean, nullable=False),
        sa.Column("eligible_approver_ids", JSONType, nullable=False),
        sa.Column("escalation_approver_ids", JSONType, nullable=False),
        sa.Column("approval_channels", JSONType, nullable=False),
        sa.Column("timeout_policy", sa.String(16), nullable=False),
        sa.Column("escalation_grace_minutes", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("state_reason", sa.String(500), nullable=True),
        sa.Column("details", JSONType, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    for column in ("agent_id", "subject_id", "state", "created_at", "expires_at"):
        op.create_index(f"ix_approval_requests_{column}", "approval_requests", [column])
    op.create_table(
        "approval_request_members",
        sa.Column("request_id", ID, primary_key=True),
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
    )
    op.create_index("ix_approval_request_members_user_id", "approval_request_members", ["user_id"])
    op.create_table(
        "approval_decisions",
        sa.Column("request_id", ID, primary_key=True),
        sa.Column("approver_id", ID, primary_key=True),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "desk_controls",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kill_switch", sa.Boolean, nullable=False),
        sa.Column("kill_switch_reason", sa.String(500), nullable=True),
        sa.Column("kill_switch_changed_by", sa.String(64), nullable=True),
        sa.Column("kill_switch_changed_at", UTCDateTime, nullable=True),
    )
    op.execute("INSERT INTO desk_controls (id, kill_switch) VALUES (1, false)")
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        fks = [
            ("agents", "owner_id", "users"),
            ("agent_members", "agent_id", "agents"),
            ("agent_members", "user_id", "users"),
            ("agent_config_versions", "agent_id", "agents"),
            ("approval_requests", "agent_id", "agents"),
            ("approval_request_members", "request_id", "approval_requests"),
            ("approval_decisions", "request_id", "approval_requests"),
            ("approval_decisions", "approver_id", "users"),
        ]
        for table, column, target in fks:
            op.create_foreign_key(f"fk_{table}_{column}", table, target, [column], ["id"])
        op.create_index(
            "uq_agent_config_versions_one_live",
            "agent_config_versions",
            ["agent_id"],
            unique=True,
            postgresql_where=sa.text("stage = 'live'"),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
