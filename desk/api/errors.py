"""One error shape for every failure: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from desk.domain.errors import DeskError

log = structlog.get_logger(__name__)

LOCATIONS = ("body", "query", "path", "header", "cookie")
TYPE_TAGS = frozenset({"none", "str", "int", "float", "bool", "bytes", "list", "dict", "decimal"})
HTTP_CODES = {
    400: "bad_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def field_name(loc: Sequence[Any]) -> str:
    """``("body", "risk", "max_loss", "decimal")`` -> ``"risk.max_loss"``: the input's path,
    without the request part or the union-member tags pydantic appends."""
    parts: list[str] = []
    for part in loc:
        text = str(part)
        if not parts and text in LOCATIONS:
            continue
        is_name = text.isidentifier() and text not in TYPE_TAGS
        is_header = not parts and "-" in text  # Idempotency-Key, X-Desk-Channel
        if not (isinstance(part, int) or is_name or is_header):
            break
        parts.append(text)
    return ".".join(parts) or "body"


PATTERN_MISMATCH = "string_pattern_mismatch"


def format_hint(request: Request, name: str) -> str | None:
    """What a query/path/header parameter should look like, in words (its description and
    first example), instead of the regular expression it failed."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return None
    for param in get_flat_params(dependant):
        if name in (param.alias, param.name):
            info = param.field_info
            example = f" (e.g. {info.examples[0]})" if info.examples else ""
            described = (info.description or "").rstrip(".")
            return f"not in the expected format: {described}{example}" if described else None
    return None


def allowed_methods(request: Request) -> list[str]:
    """Every method any route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(route.methods or ())
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DeskError)
    async def desk_error(_: Request, exc: DeskError) -> JSONResponse:
        status = exc.http_status if exc.http_status < 500 or exc.http_status == 503 else 500
        return JSONResponse(error_body(exc.code, exc.message, exc.fields), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields: dict[str, str] = {}
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                fields["body"] = "not valid JSON"
                continue
            name = field_name(err.get("loc", ()))
            hint = format_hint(request, name) if err.get("type") == PATTERN_MISMATCH else None
            fields.setdefault(name, hint or str(err.get("msg", "invalid")))
        message = "invalid request: " + "; ".join(f"{k}: {v}" for k, v in fields.items())
        return JSONResponse(error_body("validation_error", message, fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return JSONResponse(
            error_body("internal_error", "the service hit an unexpected error; it was logged"),
            status_code=500,
        )
