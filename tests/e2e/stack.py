"""A real desk for browser tests: the promotion service (uvicorn, DuckDB in a temp folder, the
paper broker) and ``panel serve`` of the dashboard pointed at it, both on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from desk.adapters.crypto import generate_key
from desk.adapters.system import market_hours_clock
from desk.api.app import create_app
from desk.api.warm import prepare_routes
from desk.bootstrap import Runtime, bootstrap
from desk.cli.dashboard_cmd import dashboard_command
from desk.demo_data import INSTRUMENTS_CSV
from desk.domain.users import Actor, Channel
from desk.services import agents, approvals, proposals, users
from desk.settings import DeskSettings

ROOT = Actor.system(channel=Channel.CLI, label="e2e")
CONFIG: dict[str, Any] = {
    "model": "fake/analyst-1",
    "system_prompt": "You research Indian equities.",
    "universe": ["NSE:INFY", "NSE:TCS", "NSE:WIPRO", "NSE:SBIN"],
    "tools": ["google_search", "open_webpage", "get_ltp"],
    "quorum": 2,
    "approval_timeout_minutes": 240,
    "approval_channels": ["dashboard", "api", "telegram"],
    "mode": "paper",
}


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def wait_for(check: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@dataclass
class Service:
    """The promotion service in a thread, seeded with people and a paper agent."""

    home: Path
    tokens: dict[str, str] = field(default_factory=dict)
    agent_id: str = ""
    url: str = ""

    def start(self) -> None:
        settings = DeskSettings(
            _env_file=None,
            home=self.home,
            database_url=f"duckdb:///{self.home / 'desk.duckdb'}",
            secret_keys=generate_key(),
        )
        self.runtime = bootstrap(settings, upgrade=True, clock=market_hours_clock())
        self._seed(self.runtime)
        sock = free_socket()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = create_app(settings, runtime=self.runtime)
        prepare_routes(app)  # as `desk serve` does
        config = uvicorn.Config(app, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        wait_for(lambda: self.server.started, what="the desk service")

    def _seed(self, rt: Runtime) -> None:
        people = {}
        for name, role in (
            ("owner", "admin"),
            ("asha", "member"),
            ("vikram", "member"),
            ("zed", "member"),
        ):
            user = users.create_user(rt, ROOT, name, role=role)
            people[name] = Actor.of(user, Channel.API)
            self.tokens[name] = users.create_token(rt, ROOT, user.id, name="e2e").plaintext
        proposals.load_instruments(rt, ROOT, INSTRUMENTS_CSV.read_text())
        detail = agents.create_agent(
            rt,
            people["owner"],
            name="infy-watch",
            config=CONFIG,
            approvers=[people["asha"].user_id or "", people["vikram"].user_id or ""],
        )
        self.agent_id = detail.agent.id
        promotion = agents.request_promotion(rt, people["owner"], self.agent_id, 1)
        approvals.decide(rt, people["asha"], promotion.id, "approve", "ok")
        approvals.decide(rt, people["vikram"], promotion.id, "approve", "ok")

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, timeout=10, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )

    def propose(self, symbol: str = "INFY", quantity: int = 1) -> str:
        """A trade proposal by the owner; returns its approval request id."""
        body = {
            "agent_id": self.agent_id,
            "exchange": "NSE",
            "tradingsymbol": symbol,
            "transaction_type": "BUY",
            "quantity": quantity,
            "order_type": "MARKET",
            "product": "CNC",
            "rationale": f"{symbol}: results beat estimates.",
            "evidence": ["https://example.com/results"],
        }
        with self.client("owner") as c:
            response = c.post("/api/v1/proposals/", json=body)
            response.raise_for_status()
            # The POST answer may carry request_id null (seen on 2026-11-25); the stored
            # proposal has it.
            stored = c.get(f"/api/v1/proposals/{response.json()['id']}/").json()
        request_id = response.json()["request_id"] or stored["request_id"]
        assert request_id, stored
        return str(request_id)

    def request(self, request_id: str) -> dict[str, Any]:
        with self.client("owner") as c:
            return dict(c.get(f"/api/v1/approval-requests/{request_id}/").json())

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.runtime.close()


@dataclass
class Dashboard:
    """``panel serve dashboards/app.py`` (the ``desk dashboard`` command line) on a free port."""

    service_url: str
    log: Path
    url: str = ""

    def start(self) -> None:
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()
        args = dashboard_command(host="127.0.0.1", port=port, origins=[])
        env = {**os.environ, "DESK_URL": self.service_url}
        self._log = self.log.open("wb")
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}/app"
        wait_for(self._ready, timeout=40, what="panel serve")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"panel serve exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(self.url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
