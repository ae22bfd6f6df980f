"""What both clients share: headers, request arguments, turning answers into results."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import httpx

from desk.client.calls import Call
from desk.client.errors import error_from_response

T = TypeVar("T")

USER_AGENT = "desk-client/0.1.0"
CHANNELS = ("api", "cli", "dashboard")


def base_headers(token: str | None, channel: str) -> dict[str, str]:
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", "X-Desk-Channel": channel}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def request_args(call: Call[Any]) -> dict[str, Any]:
    args: dict[str, Any] = {"params": call.params}
    if call.body is not None:
        args["json"] = call.body
    if call.idempotency_key is not None:
        args["headers"] = {"Idempotency-Key": call.idempotency_key}
    return args


def check(call: Call[Any], response: httpx.Response) -> httpx.Response:
    """Raise the mapped error for an error status the call does not accept."""
    if response.status_code >= 400 and response.status_code not in call.accept:
        raise error_from_response(response)
    return response


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + ".partial")
