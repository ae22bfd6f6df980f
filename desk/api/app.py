"""The FastAPI application: lifespan builds the runtime once and keeps it on app.state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from desk.api.deps import reject_unknown_query
from desk.api.errors import install_error_handlers
from desk.api.limits import MAX_BODY_BYTES, BodySizeLimit
from desk.api.redaction import install_access_log_redaction
from desk.api.routes import include_routers
from desk.bootstrap import Runtime, bootstrap
from desk.domain.clock import Clock
from desk.settings import DeskSettings

DESCRIPTION = """\
Research runs, proposals, quorum approvals, execution and audit.

**Auth**: every route except `/health/` and the Telegram webhook needs
`Authorization: Bearer <token>` (create one with `desk users token <name>` or
`POST /api/v1/tokens/`).

**Errors** always look like `{"error": {"code", "message", "fields"}}`; `fields` names the
inputs that were wrong. **Lists** take `page` and `page_size` (max 100) and answer
`{count, page, page_size, next, previous, results}`. **POST** accepts an `Idempotency-Key`.
"""


def create_app(
    settings: DeskSettings,
    *,
    runtime: Runtime | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    background: bool = True,
    clock: Clock | None = None,
) -> FastAPI:
    """``runtime`` lets tests inject one built with fakes; otherwise the lifespan builds it.

    The lifespan also starts the :class:`~desk.server.DeskServer` (research runner,
    execution, housekeeping) unless ``background`` is false.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from desk.server import DeskServer

        owned = runtime is None
        rt = runtime or bootstrap(settings, upgrade=True, clock=clock)
        app.state.runtime = rt
        server = DeskServer(rt) if background else None
        if server is not None:
            server.start()
        app.state.server = server
        try:
            yield
        finally:
            if server is not None:
                server.stop()
            if owned:
                rt.close()

    app = FastAPI(
        title="Desk promotion service",
        version="0.1.0",
        lifespan=lifespan,
        description=DESCRIPTION,
        dependencies=[Depends(reject_unknown_query)],
    )
    if runtime is not None:
        app.state.runtime = runtime  # usable without running the lifespan (in-process tests)
    install_error_handlers(app)
    install_access_log_redaction()
    include_routers(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    return app
