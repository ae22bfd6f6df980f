"""Route modules, one per area. Each module exposes ``router: APIRouter``.

Adding an area is one line: append its module name to ``AREAS`` (and add its rules to the
RBAC table in ``tests/integration/api/rbac_table.py``, or the RBAC test fails).
"""

from __future__ import annotations

from importlib import import_module

from fastapi import APIRouter, FastAPI

AREAS: tuple[str, ...] = (
    "health",
    "me",
    "users",
    "tokens",
    "telegram",
    "credentials",
    "audit",
    "agents",
    "runs",
    "approvals",
    "trading",
    "kite",
    "quotes",
)


def include_routers(app: FastAPI) -> None:
    for area in AREAS:
        router: APIRouter = import_module(f"desk.api.routes.{area}").router
        app.include_router(router)
