"""Liveness and readiness: store reachable, migrations current (never any secret)."""

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
    return Health(all(c.get("ok") for c in checks.values()), checks)
