"""Liveness and readiness: store reachable, migrations current (never any secret).

Later checks (runner alive, Kite token expiry) plug in as more entries of ``checks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desk.bootstrap import Runtime


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "degraded", "checks": self.checks}


def check(rt: Runtime) -> Health:
    from desk.adapters.store import migrate

    checks: dict[str, dict[str, Any]] = {}
    try:
        current = migrate.current_revision(rt.db)
        head = migrate.head_revision()
        checks["store"] = {"ok": True, "backend": rt.db.dialect}
        checks["migrations"] = {"ok": current == head, "current": current, "latest": head}
    except Exception as exc:
        checks["store"] = {"ok": False, "error": type(exc).__name__}
    telegram = _telegram(rt)
    ready = all(c.get("ok") for c in checks.values())
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
