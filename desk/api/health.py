"""Liveness and readiness: store reachable, migrations current (never any secret).

Later checks (runner alive, Kite token expiry) plug in as more entries of ``checks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desk.bootstrap import Runtime

if TYPE_CHECKING:
    from desk.server import DeskServer


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "degraded", "checks": self.checks}


def check(rt: Runtime, server: DeskServer | None = None) -> Health:
    from desk.adapters.store import migrate

    checks: dict[str, dict[str, Any]] = {}
    try:
        current = migrate.current_revision(rt.db)
        head = migrate.head_revision()
        checks["store"] = {"ok": True, "backend": rt.db.dialect}
        checks["migrations"] = {"ok": current == head, "current": current, "latest": head}
    except Exception as exc:
        checks["store"] = {"ok": False, "error": type(exc).__name__}
    if server is not None:
        checks["runner"] = {"ok": server.alive, "active_runs": len(server.runner.active())}
    telegram = _telegram(rt)
    kite = _kite(rt)
    ready = all(c.get("ok") for c in checks.values())
    if kite is not None:
        checks["kite"] = kite
    if telegram is not None:
        checks["telegram"] = telegram
    return Health(ready, checks)


def _telegram(rt: Runtime) -> dict[str, Any] | None:
    """Whether Telegram is configured (informational; it never makes the service unready)."""
    bot = rt.settings.telegram_bot_token is not None
    hook = rt.settings.telegram_webhook_secret is not None
    if not (bot or hook):
        return None
    return {"ok": bot and hook, "bot_configured": bot, "webhook_configured": hook}


def _kite(rt: Runtime) -> dict[str, Any] | None:
    """Kite sessions by status (informational: expiring or expired ones warn, never fail)."""
    from desk.domain.users import Actor
    from desk.services import vault

    creds = [c for c in vault.list_broker_credentials(rt, Actor.system()) if c.is_active]
    if not creds:
        return None
    statuses = [c.token_status for c in creds]
    soonest = min(
        (c.access_token_expires_at for c in creds if c.access_token_expires_at), default=None
    )
    return {
        "ok": all(s == "valid" for s in statuses),
        "sessions": {s: statuses.count(s) for s in sorted(set(statuses))},
        "next_expiry": soonest.isoformat() if soonest else None,
    }
