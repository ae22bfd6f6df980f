"""Small helpers for API tests: people made over HTTP, polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from desk.demo_data import INSTRUMENTS_CSV
from desk.services.proposals import load_instruments
from tests.integration.api.conftest import ROOT, Api


def add_person(api: Api, username: str) -> str:
    """A member with a token, created by the admin over HTTP; the token is kept on ``api``."""
    user = api.post("admin", "/api/v1/users/", json={"username": username}).json()
    issued = api.post("admin", "/api/v1/tokens/", json={"name": "t", "user": user["id"]})
    assert issued.status_code == 201, issued.text
    api.tokens[username] = issued.json()["token"]
    return str(user["id"])


def load_demo_instruments(api: Api) -> None:
    load_instruments(api.rt, ROOT, INSTRUMENTS_CSV.read_text())


def poll(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
