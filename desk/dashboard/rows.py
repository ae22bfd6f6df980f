"""Pure formatting for the dashboard: table rows, money, durations, drift, config diffs.

Everything here takes plain JSON (as the REST API returns it) and an explicit ``now``.
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

QUEUE_COLUMNS = (
    "id",
    "agent",
    "kind",
    "instrument",
    "side",
    "qty",
    "price",
    "value",
    "risk",
    "age",
    "time_left",
    "quorum",
    "state",
)
TOKEN_WARNING = timedelta(hours=2)
DEFAULT_DRIFT_LIMIT = Decimal("2")  # the desk's default stale_approval_drift_pct


def rupees(paise: int | None) -> str:
    if paise is None:
        return "-"
    amount = (Decimal(paise) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"₹{amount:,.2f}"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "expired"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{seconds}s"


def queue_row(request: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One Tabulator row for an approval request."""
    summary = request.get("summary") or {}
    created, expires = parse_time(request.get("created_at")), parse_time(request.get("expires_at"))
    quorum = summary.get("quorum_progress") or (
        f"{request.get('approvals', 0)} of {request.get('quorum', '?')}"
    )
    pending = request.get("state") == "pending"
    return {
        "id": request.get("id", ""),
        "agent": request.get("agent_name") or request.get("agent_id", ""),
        "kind": request.get("kind", ""),
        "instrument": summary.get("instrument") or "-",
        "side": summary.get("side") or "-",
        "qty": summary.get("quantity") if summary.get("quantity") is not None else "",
        "price": (summary.get("price") or "MARKET") if request.get("kind") == "trade" else "-",
        "value": rupees(summary.get("value_paise")),
        "risk": summary.get("risk_summary") or "-",
        "age": duration(max(now - created, timedelta(0))) if created else "-",
        "time_left": duration(expires - now) if expires and pending else "-",
        "quorum": quorum,
        "state": request.get("state", "") + (" (escalated)" if request.get("escalated") else ""),
    }


def matches(row: dict[str, Any], *, agent: str, kind: str, text: str) -> bool:
    if agent and row["agent"] != agent:
        return False
    if kind and row["kind"] != kind:
        return False
    needle = text.strip().lower()
    return not needle or any(needle in str(row[c]).lower() for c in ("instrument", "agent", "id"))


def drift_pct(ltp_at_creation: Any, ltp_now: Any) -> Decimal | None:
    """Signed % move from the price at creation to now, or None when either is missing."""
    if ltp_at_creation is None or ltp_now is None:
        return None
    try:
        then, now = Decimal(str(ltp_at_creation)), Decimal(str(ltp_now))
    except (InvalidOperation, ValueError):
        return None
    if not then.is_finite() or not now.is_finite() or then <= 0:
        return None
    return ((now - then) / then * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def drift(ltp_at_creation: Any, ltp_now: Any) -> str:
    """``"+1.25%"`` from two decimal strings, or ``"-"`` when either is missing."""
    pct = drift_pct(ltp_at_creation, ltp_now)
    return "-" if pct is None else f"{pct:+}%"


def stale_drift_limit(agent: dict[str, Any] | None) -> Decimal:
    """The agent's ``stale_approval_drift_pct`` (active config's risk limits), default 2%."""
    versions = (agent or {}).get("versions") or []
    active = (agent or {}).get("active_version")
    config = next((v.get("config") or {} for v in versions if v.get("version") == active), {})
    value = (config.get("risk_limits") or {}).get("stale_approval_drift_pct")
    try:
        return Decimal(str(value)) if value is not None else DEFAULT_DRIFT_LIMIT
    except (InvalidOperation, ValueError):
        return DEFAULT_DRIFT_LIMIT


def config_diff(
    old: dict[str, Any] | None, new: dict[str, Any], old_label: str, new_label: str
) -> str:
    before = json.dumps(old or {}, indent=2, sort_keys=True).splitlines()
    after = json.dumps(new, indent=2, sort_keys=True).splitlines()
    lines = difflib.unified_diff(before, after, old_label, new_label, lineterm="")
    return "\n".join(lines) or "(no changes)"


def token_warning(credential: dict[str, Any], now: datetime) -> str | None:
    """A warning when a Kite access token is missing, expired or expiring soon."""
    status = credential.get("token_status")
    expires = parse_time(credential.get("access_token_expires_at"))
    label = credential.get("label", "broker")
    if status == "missing" or (status is None and expires is None):
        return f"{label}: no Kite access token — log in to Kite before live trading"
    if status == "expired" or (expires is not None and expires <= now):
        return f"{label}: the Kite access token has expired — log in to Kite again"
    if status == "expiring" or (expires is not None and expires - now <= TOKEN_WARNING):
        left = duration(expires - now) if expires else "soon"
        return f"{label}: the Kite access token expires in {left}"
    return None


def evidence_links(evidence: Any) -> list[tuple[str, str]]:
    """``(title, url)`` pairs from evidence given as URLs or ``{"url", "title"}`` dicts."""
    links: list[tuple[str, str]] = []
    for item in evidence if isinstance(evidence, list) else []:
        if isinstance(item, str):
            links.append((item, item))
        elif isinstance(item, dict) and isinstance(item.get("url"), str):
            links.append((str(item.get("title") or item["url"]), item["url"]))
    return links
