"""The FastAPI application: lifespan builds the runtime once and keeps it on app.state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from desk.api.errors import install_error_handlers
from desk.bootstrap import Runtime, bootstrap
from desk.settings import DeskSettings


def create_app(settings: DeskSettings, *, runtime: Runtime | None = None) -> FastAPI:
    """``runtime`` lets tests inject one built with fakes; otherwise the lifespan builds it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        rt = runtime or bootstrap(settings, upgrade=True)
        app.state.runtime = rt
        try:
            yield
        finally:
            if owned:
                rt.close()

    app = FastAPI(
        title="Desk promotion service",
        version="0.1.0",
        lifespan=lifespan,
        description="Research runs, proposals, quorum approvals, execution and audit.",
    )
    install_error_handlers(app)

    @app.get("/health/", tags=["health"])
    def health(request: Request) -> dict[str, Any]:
        from desk.api import health as health_service

        return health_service.check(request.app.state.runtime).as_dict()

    return app
