"""Text of the bot's messages (Telegram HTML parse mode), built from the desk's read models.

Everything user-supplied is escaped with :func:`html.escape`; long fields are shortened so a
message stays under Telegram's 4,096-character limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from desk.domain.clock import IST
from desk.domain.telegram import (
    DecisionOutcome,
    RequestStatus,
    RequestSummary,
    TgDecision,
    describe_state,
)

MAX_MESSAGE_CHARS = 4096
SHORT_ID = 8
MAX_FIELD_CHARS = 600

HELP_TEXT = (
    "<b>Desk approvals bot</b>\n"
    "/pending [limit] — requests you can decide now (default 10, at most 50)\n"
    "/status &lt;id&gt; — state, quorum, decisions and order status\n"
    "/approve &lt;id&gt; [reason] — approve a request\n"
    "/reject &lt;id&gt; &lt;reason&gt; — reject a request (a reason is required)\n"
    "/help — this message\n"
    "Ids may be shortened to their first characters (at least 4) when unambiguous."
)

UNLINKED_TEXT = (
    "Sorry, this chat is not linked to a Desk account, so I can't help here.\n"
    "Get a one-time link code from Desk (CLI, API or dashboard) and send /link &lt;code&gt;."
)

PRIVATE_ONLY_TEXT = "For your security I only work in a private chat with you."


def rupees(paise: int) -> str:
    """Integer paise → ``₹1,23,456.78`` (Indian digit grouping)."""
    sign = "-" if paise < 0 else ""
    whole, frac = divmod(abs(paise), 100)
    digits = str(whole)
    if len(digits) > 3:
        head, tail = digits[:-3], digits[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        digits = ",".join([*groups, tail])
    return f"{sign}₹{digits}.{frac:02d}"


def price_text(price: Decimal) -> str:
    """A price in rupees, to the paisa (half up), with Indian grouping."""
    paise = int((price * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return rupees(paise)


def ist(when: datetime) -> str:
    return when.astimezone(IST).strftime("%d %b %Y, %H:%M IST")


def short_id(request_id: str) -> str:
    return request_id[:SHORT_ID]


def clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def order_line(summary: RequestSummary) -> str:
    """``BUY 10 × INFY @ ₹1,520.50`` (or the kind for non-trade requests)."""
    if summary.instrument is None:
        return escape(summary.kind.replace("_", " "))
    parts = [escape((summary.side or "").upper()), str(summary.quantity or "?"), "×"]
    parts.append(escape(summary.instrument))
    line = " ".join(p for p in parts if p)
    price = f"@ {price_text(summary.price)}" if summary.price is not None else "at market"
    return f"{line} {price}"


def request_text(summary: RequestSummary, *, headline: str = "Approval needed") -> str:
    lines = [
        f"<b>{escape(headline)}</b> · <code>{escape(short_id(summary.id))}</code>",
        f"Agent: {escape(summary.agent_name)} ({escape(summary.kind.replace('_', ' '))})",
        f"<b>{order_line(summary)}</b>",
    ]
    if summary.value_paise is not None:
        lines.append(f"Value: {rupees(summary.value_paise)}")
    lines.append(f"Rationale: {escape(clip(summary.rationale_summary))}")
    lines.append(f"Risk: {escape(clip(summary.risk_summary))}")
    lines.append(f"Quorum: {escape(summary.quorum_progress)}")
    if summary.expires_at is not None:
        lines.append(f"Decide by: {ist(summary.expires_at)}")
    lines.append(f"Id: <code>{escape(summary.id)}</code>")
    return "\n".join(lines)


def pending_line(summary: RequestSummary) -> str:
    expires = f" · until {ist(summary.expires_at)}" if summary.expires_at else ""
    return (
        f"<code>{escape(short_id(summary.id))}</code> {order_line(summary)} · "
        f"{escape(clip(summary.agent_name, 40))} · {escape(summary.quorum_progress)}{expires}"
    )


def pending_texts(summaries: Sequence[RequestSummary], limit: int) -> list[str]:
    """The /pending reply, split into messages under the size limit."""
    if not summaries:
        return ["Nothing is waiting for your decision."]
    more = " (the oldest; ask for more with /pending 50)" if len(summaries) >= limit else ""
    header = f"<b>{len(summaries)} request(s) waiting for you</b>{more}:"
    chunks: list[str] = []
    current = header
    for summary in summaries:
        line = pending_line(summary)
        if len(current) + 1 + len(line) > MAX_MESSAGE_CHARS:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}"
    chunks.append(current)
    chunks[-1] += "\nDecide with /approve &lt;id&gt; or /reject &lt;id&gt; &lt;reason&gt;."
    return chunks


def status_text(status: RequestStatus) -> str:
    lines = [request_text(status.request, headline=describe_state(status.state, status.escalated))]
    if status.decisions:
        lines.append("<b>Decisions</b>:")
        for d in status.decisions:
            verb = "approved" if d.decision is TgDecision.APPROVE else "rejected"
            why = f" — {escape(clip(d.reason, 200))}" if d.reason else ""
            lines.append(
                f"• {escape(d.approver)} {verb} via {escape(d.channel)} at {ist(d.decided_at)}{why}"
            )
    else:
        lines.append("No decisions yet.")
    if status.order_status is not None:
        lines.append(f"Order: {escape(status.order_status)}")
    return "\n".join(lines)


def outcome_text(outcome: DecisionOutcome) -> str:
    return (
        f"{escape(outcome.message)}\n"
        f"Request <code>{escape(short_id(outcome.request_id))}</code>: "
        f"{escape(describe_state(outcome.state))} · quorum {escape(outcome.quorum_progress)}"
    )


def closed_text(summary: RequestSummary, state: str, note: str | None) -> str:
    """A notification edited once the request left ``pending`` (buttons removed)."""
    text = request_text(summary, headline=describe_state(state))
    return f"{text}\n<i>{escape(clip(note, 300))}</i>" if note else text


def error_text(message: str) -> str:
    return f"⚠️ {escape(message)}"
