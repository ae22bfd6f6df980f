"""Build every route's request handling up front, before the service takes traffic.

FastAPI (0.150) prepares an included router's routes — dependency graphs, validation and
response models — on the first request that reaches that router; on this machine that costs
0.2–0.5 s per area, paid by whoever signs in first after a start. ``desk serve`` and
``desk up`` call :func:`prepare_routes` before serving so the first person does not wait.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Scope

_PROBE: Scope = {"type": "http", "method": "GET", "path": "/", "root_path": "", "headers": []}


def prepare_routes(app: FastAPI) -> None:
    """Match one probe scope against every route: each router then builds its routes."""
    for route in app.router.routes:
        route.matches(_PROBE)
