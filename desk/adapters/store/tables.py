"""The store schema (SQLAlchemy Core). Migrations in ``migrations/versions`` create it.

Ids are 32-char hex strings from the injected ``IdGen``; the audit chain is numbered by
``seq``, assigned under the chain-head lock. API schemas are separate (``desk/api``).

Foreign keys exist on Postgres only (the migrations add them): DuckDB rejects an update
of a unique column on any row that a foreign key references, so there the services keep
referential integrity themselves.
"""

from __future__ import annotations

import sqlalchemy as sa

from desk.adapters.store.types import JSONType, UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = sa.String(32)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("username", sa.String(32), nullable=False, unique=True),
    sa.Column("display_name", sa.String(80), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("telegram_chat_id", sa.BigInteger, nullable=True, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("display_prefix", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("expires_at", UTCDateTime, nullable=True),
)

telegram_link_codes = sa.Table(
    "telegram_link_codes",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
    sa.Column("used_chat_id", sa.BigInteger, nullable=True),
)

broker_credentials = sa.Table(
    "broker_credentials",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("broker", sa.String(16), nullable=False),
    sa.Column("label", sa.String(64), nullable=False),
    sa.Column("api_key_enc", sa.Text, nullable=False),
    sa.Column("api_secret_enc", sa.Text, nullable=False),
    sa.Column("access_token_enc", sa.Text, nullable=True),
    sa.Column("access_token_expires_at", UTCDateTime, nullable=True),
    sa.Column("broker_user_id", sa.String(32), nullable=True),
    sa.Column("api_key_hint", sa.String(16), nullable=False),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

llm_credentials = sa.Table(
    "llm_credentials",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("user_id", ID, nullable=False, index=True),
    sa.Column("provider", sa.String(16), nullable=False),
    sa.Column("label", sa.String(64), nullable=False),
    sa.Column("api_key_enc", sa.Text, nullable=False),
    sa.Column("api_key_hint", sa.String(16), nullable=False),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("id", ID, nullable=False, unique=True),
    sa.Column("occurred_at", UTCDateTime, nullable=False, index=True),
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("actor_id", ID, nullable=True),
    sa.Column("actor_label", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("subject_type", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=True, index=True),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# One row (id = 1): the chain head. Appends lock it (FOR UPDATE on Postgres, the process
# write lock on DuckDB) and move it with a conditional update, so the chain never forks.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# --- agents and approvals (migration 0002) ------------------------------------------------

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("owner_id", ID, nullable=False, index=True),
    sa.Column("approver_ids", JSONType, nullable=False),
    sa.Column("escalation_approver_ids", JSONType, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("pause_reason", sa.String(500), nullable=True),
    sa.Column("kill_switch", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("row_version", sa.Integer, nullable=False),
)

# Who is attached to an agent, for "agents I own or approve" queries.
agent_members = sa.Table(
    "agent_members",
    metadata,
    sa.Column("agent_id", ID, primary_key=True),
    sa.Column("user_id", ID, primary_key=True, index=True),
    sa.Column("role", sa.String(16), primary_key=True),  # approver | escalation
)

agent_config_versions = sa.Table(
    "agent_config_versions",
    metadata,
    sa.Column("agent_id", ID, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("config", JSONType, nullable=False),
    sa.Column("author_id", ID, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

approval_requests = sa.Table(
    "approval_requests",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("agent_id", ID, nullable=False, index=True),
    sa.Column("subject_id", sa.String(64), nullable=False, index=True),
    sa.Column("proposer_id", ID, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
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
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("state_reason", sa.String(500), nullable=True),
    sa.Column("details", JSONType, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# The eligibility snapshot as rows, for "what may I decide now" queries.
approval_request_members = sa.Table(
    "approval_request_members",
    metadata,
    sa.Column("request_id", ID, primary_key=True),
    sa.Column("user_id", ID, primary_key=True, index=True),
    sa.Column("role", sa.String(16), primary_key=True),  # eligible | escalation
)

approval_decisions = sa.Table(
    "approval_decisions",
    metadata,
    sa.Column("request_id", ID, primary_key=True),
    sa.Column("approver_id", ID, primary_key=True),
    sa.Column("decision", sa.String(8), nullable=False),
    sa.Column("reason", sa.String(1000), nullable=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=False),
)

# One row (id = 1): the global kill switch.
desk_controls = sa.Table(
    "desk_controls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kill_switch", sa.Boolean, nullable=False),
    sa.Column("kill_switch_reason", sa.String(500), nullable=True),
    sa.Column("kill_switch_changed_by", sa.String(64), nullable=True),
    sa.Column("kill_switch_changed_at", UTCDateTime, nullable=True),
)

# Mutating commands carry an Idempotency-Key; a replay returns the first result.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.String(64), primary_key=True),  # actor id or "system"
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("result", JSONType, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# --- research runs (migration 0003) --------------------------------------------------------

analysis_runs = sa.Table(
    "analysis_runs",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("agent_id", ID, nullable=False),
    sa.Column("config_version", sa.Integer, nullable=True),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("model", sa.String(120), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),  # live | replay
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

sa.Index(
    "ix_analysis_runs_agent_created_id",
    analysis_runs.c.agent_id,
    analysis_runs.c.created_at,
    analysis_runs.c.id,
)

# Runs per (agent, status, IST day), kept by the runs repository (migration 0007): the run
# history's count without counting an agent's runs.
run_counts = sa.Table(
    "run_counts",
    metadata,
    sa.Column("agent_id", ID, primary_key=True),
    sa.Column("status", sa.String(16), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
)

run_events = sa.Table(
    "run_events",
    metadata,
    sa.Column("run_id", ID, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# --- instruments and proposals (migration 0004) -----------------------------------------------

instruments = sa.Table(
    "instruments",
    metadata,
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

trade_proposals = sa.Table(
    "trade_proposals",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("agent_id", ID, nullable=False, index=True),
    sa.Column("run_id", ID, nullable=True, index=True),
    sa.Column("proposer_id", ID, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # blocked | submitted
    sa.Column("instrument", sa.String(80), nullable=False),
    sa.Column("side", sa.String(4), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("value_paise", sa.BigInteger, nullable=True),
    sa.Column("ltp_at_creation", sa.Numeric(18, 4), nullable=True),
    sa.Column("proposal", JSONType, nullable=False),
    sa.Column("risk", JSONType, nullable=False),
    sa.Column("request_id", ID, nullable=True, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
)

# --- execution and paper ledger (migration 0005) ----------------------------------------------

# One row per approved request's execution. ``state`` moves only by conditional updates
# (``UPDATE … WHERE id = … AND state = …``); the key, tag and request are unique, so a replay
# finds the first execution. ``order_intent`` is the full OrderIntent (prices as strings).
execution_intents = sa.Table(
    "execution_intents",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("request_id", sa.String(64), nullable=False, unique=True),
    sa.Column("idempotency_key", sa.String(128), nullable=False, unique=True),
    sa.Column("tag", sa.String(20), nullable=False, unique=True),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("order_id", sa.String(64), nullable=True, unique=True),
    sa.Column("order_intent", JSONType, nullable=False),
    sa.Column("broker_status", sa.String(32), nullable=True),
    sa.Column("status_message", sa.Text, nullable=True),
    sa.Column("filled_quantity", sa.Integer, nullable=False),
    sa.Column("average_price", sa.Numeric(18, 4), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
)

#: Numbers the paper ledger's rows (order steps, fills, positions) in the order written.
PAPER_LEDGER_SEQ = "paper_ledger_seq"
_NEXT_PAPER_SEQ = sa.text(f"nextval('{PAPER_LEDGER_SEQ}')")

# One row (id = 1): the paper account's cash. Fills lock it (FOR UPDATE on Postgres, the
# process write lock on DuckDB), so positions are read and rewritten one fill at a time.
paper_account = sa.Table(
    "paper_account",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("cash_paise", sa.BigInteger, nullable=False),
)

# Every state of every paper order (append-only). An order's current state is its step with
# the highest ``seq``; its placement order is the ``seq`` of its first step.
paper_orders = sa.Table(
    "paper_orders",
    metadata,
    sa.Column(
        "seq", sa.BigInteger, primary_key=True, autoincrement=False, server_default=_NEXT_PAPER_SEQ
    ),
    sa.Column("order_id", sa.String(64), nullable=False, index=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("tag", sa.String(32), nullable=True, index=True),
    sa.Column("exchange", sa.String(8), nullable=False),
    sa.Column("tradingsymbol", sa.String(64), nullable=False),
    sa.Column("filled_quantity", sa.Integer, nullable=False),
    sa.Column("broker_order", JSONType, nullable=False),
)

paper_fills = sa.Table(
    "paper_fills",
    metadata,
    sa.Column("fill_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, server_default=_NEXT_PAPER_SEQ),
    sa.Column("order_id", sa.String(64), nullable=False, index=True),
    sa.Column("tag", sa.String(32), nullable=True),
    sa.Column("exchange", sa.String(8), nullable=False),
    sa.Column("tradingsymbol", sa.String(64), nullable=False),
    sa.Column("product", sa.String(8), nullable=False),
    sa.Column("transaction_type", sa.String(4), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("price", sa.Numeric(18, 4), nullable=False),
    sa.Column("filled_at", UTCDateTime, nullable=False),
)

paper_positions = sa.Table(
    "paper_positions",
    metadata,
    sa.Column("exchange", sa.String(8), primary_key=True),
    sa.Column("tradingsymbol", sa.String(64), primary_key=True),
    sa.Column("product", sa.String(8), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, server_default=_NEXT_PAPER_SEQ),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("average_price", sa.Numeric(18, 4), nullable=False),
    sa.Column("realized_paise", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
