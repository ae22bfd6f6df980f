"""Benchmark: time to first render of the approval queue with 1,000 pending requests.

Run: ``uv run python tests/bench/bench_dashboard.py [--browser]`` (not collected by pytest).

1. Server side (always): the dashboard's Python work for one session, with the in-memory
   ``FakeDashboardApi`` holding 1,000 pending requests the user may decide: sign in (GET /me/,
   then the queue and the agents side by side), build the 1,000 table rows, then build the
   page's Bokeh document (``get_root``: the widget models of the Approvals tab — the other tabs
   are built when first shown — and the Tabulator's 1,000 rows serialized).
   This is what a session does before the first byte of the queue reaches the browser.
2. ``--browser``: the whole path in the system Chromium against a real desk (uvicorn + DuckDB,
   1,000 pending trade requests opened through the services) and ``panel serve``: from pressing
   Enter on the sign-in page to the first queue row on screen (the "my queue" scope; the API's
   queue returns at most 100, oldest first), then switching to the "pending" scope (all 1,000,
   ten pages of 100) until the table shows them. The first sign-in after ``panel serve``
   started is reported apart (``dashboards/warmup.py`` runs at start so it pays no first-use
   costs). Goal ≤ 1.5 s. The machine's load average is printed with the figures.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import panel as pn  # noqa: E402
from bokeh.document import Document  # noqa: E402

from desk.dashboard.app import DashboardApp  # noqa: E402
from desk.dashboard.fake import T0, FakeDesk, trade_request  # noqa: E402

PENDING = 1000
ROUNDS = 5
SESSIONS = 4  # browser sign-ins: the first after the server started, then warm ones
GOAL_S = 1.5


def fake_desk() -> FakeDesk:
    desk = FakeDesk()
    desk.add_user("t-asha", "asha")
    desk.agents["a1"] = {
        "id": "a1",
        "name": "infy-watch",
        "owner_id": "owner",
        "status": "active",
        "kill_switch": False,
        "approver_ids": ["asha"],
    }
    for i in range(PENDING):
        desk.add_request(trade_request(f"{i:032x}", quantity=1 + i % 50))
    return desk


def server_side() -> list[float]:
    pn.extension("tabulator")
    desk, timings = fake_desk(), []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        app = DashboardApp(desk.api, now=lambda: T0)
        app.session.token = "t-asha"
        assert app.sign_in()
        root = app.__panel__().get_root(Document())
        timings.append(time.perf_counter() - started)
        assert app.desk is not None and len(app.desk.queue.table) == PENDING
        assert root is not None
    return timings


def browser_side() -> None:
    from playwright.sync_api import sync_playwright

    from desk.services import approvals
    from desk.services.ports.store import UnitOfWork
    from desk.services.transactions import atomically
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.e2e.stack import Dashboard, Service

    with tempfile.TemporaryDirectory(prefix="desk-bench-") as tmp:
        service = Service(Path(tmp))
        service.start()
        rt = service.runtime
        with rt.uow(write=False) as uow:
            owner_id = next(
                u.id for u in uow.users.list(include_inactive=False) if u.username == "owner"
            )
        seeded = time.perf_counter()
        for i in range(PENDING):
            details = {"instrument": "NSE:INFY", "side": "BUY", "quantity": 1 + i % 50}

            def work(uow: UnitOfWork, i: int = i, details: dict[str, object] = details) -> None:
                approvals.open_trade_request(
                    rt,
                    uow,
                    agent_id=service.agent_id,
                    subject_id=f"bench-{i}",
                    proposer_id=owner_id,
                    details=details,
                )

            atomically(rt, work)
        print(f"seeded {PENDING} pending requests in {time.perf_counter() - seeded:.1f}s")
        served = Dashboard(service.url, Path(tmp) / "panel.log")
        served.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                firsts = [
                    sign_in_time(browser, served.url, service.tokens["asha"])
                    for _ in range(SESSIONS)
                ]
                page = browser.new_page(viewport={"width": 1500, "height": 1000})
                page.set_default_timeout(30_000)
                page.goto(served.url)
                page.locator("input[type=password]").fill(service.tokens["asha"])
                page.locator("input[type=password]").press("Enter")
                page.locator(".approval-queue .tabulator-row").first.wait_for()
                started = time.perf_counter()
                page.get_by_role("combobox", name="Scope").select_option("pending")
                page.get_by_text(f"{PENDING} shown of {PENDING} (pending)").wait_for()
                everything = time.perf_counter() - started
                browser.close()
        finally:
            served.stop()
            service.stop()
    warm = statistics.median(firsts[1:])
    print(f"load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"browser: Enter on sign-in → first queue row: first session after start "
        f"{firsts[0]:.2f}s, later sessions median {warm:.2f}s (goal ≤ {GOAL_S}s); "
        f"'pending' scope with all {PENDING} rows {everything:.2f}s"
    )


def sign_in_time(browser: Any, url: str, token: str) -> float:
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.locator("input[type=password]").fill(token)
    started = time.perf_counter()
    page.locator("input[type=password]").press("Enter")
    page.locator(".approval-queue .tabulator-row").first.wait_for()
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


def main() -> None:
    timings = server_side()
    median = statistics.median(timings)
    print(
        f"server side: sign-in + {PENDING} rows + Bokeh document, median of {ROUNDS}: "
        f"{median:.3f}s (min {min(timings):.3f}s, max {max(timings):.3f}s) — "
        f"{median / GOAL_S:.0%} of the {GOAL_S}s goal"
    )
    if "--browser" in sys.argv:
        browser_side()


if __name__ == "__main__":
    main()
