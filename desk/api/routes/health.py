"""``GET /health/``: liveness plus readiness detail. No auth, no secrets."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from desk.api import health as health_check
from desk.api.deps import MaybeServerDep, RuntimeDep
from desk.api.schemas.common import ERROR_RESPONSES
from desk.api.schemas.health import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health/",
    response_model=HealthOut,
    summary="Liveness and readiness",
    responses={
        503: {"model": HealthOut, "description": "Running but not ready (see `checks`)."},
        500: ERROR_RESPONSES[500],
    },
)
def health(runtime: RuntimeDep, server: MaybeServerDep) -> JSONResponse:
    """Answers whenever the process is alive: 200 when ready, 503 with the failing checks."""
    result = health_check.check(runtime, server)
    body = HealthOut.model_validate(result.as_dict()).model_dump(mode="json")
    return JSONResponse(body, status_code=200 if result.ok else 503)
