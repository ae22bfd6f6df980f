"""The request detail's LTP now vs at creation, who decided by name, and what sign-in builds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from bokeh.document import Document

from desk.dashboard.app import DashboardApp, Desk
from desk.dashboard.backend import DashboardError, HttpDashboardApi
from desk.dashboard.fake import T0, FakeDesk, trade_request
from desk.dashboard.rows import drift_pct, stale_drift_limit


@pytest.fixture
def world() -> FakeDesk:
    desk = FakeDesk()
    for name in ("asha", "vikram"):
        desk.add_user(f"t-{name}", name)
    desk.agents["a1"] = {
        "id": "a1",
        "name": "infy-watch",
        "owner_id": "owner",
        "status": "active",
        "kill_switch": False,
        "approver_ids": ["asha", "vikram"],
        "live_version": None,
        "active_version": 1,
        "versions": [
            {"version": 1, "stage": "paper", "config": {"risk_limits": {}}},
        ],
    }
    desk.add_request(trade_request("r1", price="1500.00"))
    desk.runs["a1"] = [{"id": "run-1", "agent_id": "a1", "query": "q", "status": "completed"}]
    return desk


class CountingDesk:
    """Counts the calls each signed-in user's fake API makes, by method name."""

    def __init__(self, world: FakeDesk) -> None:
        self.world, self.calls = world, list[str]()

    def api(self, token: str) -> Any:
        counted, inner = self.calls, self.world.api(token)

        class Counted:
            def __getattr__(self, name: str) -> Any:
                attr = getattr(inner, name)
                if callable(attr):
                    counted.append(name)
                return attr

        return Counted()


def signed_in(world: FakeDesk, token: str = "t-asha", connect: Any = None) -> Desk:
    app = DashboardApp(connect or world.api, now=lambda: T0 + timedelta(minutes=5))
    app.session.token = token
    assert app.sign_in()
    assert app.desk is not None
    return app.desk


def test_the_detail_shows_ltp_now_at_creation_and_drift(world: FakeDesk) -> None:
    world.prices["NSE:INFY"] = "1512.00"
    desk = signed_in(world)
    desk.queue.selected = "r1"
    text = desk.detail.markdown()
    assert "LTP at creation **1500.00** · LTP now **1512.00** (paper)" in text
    assert "drift **+0.80%** (limit ±2%)" in text and "drift-stale" not in text


def test_drift_past_the_agents_limit_is_flagged(world: FakeDesk) -> None:
    world.agents["a1"]["versions"][0]["config"]["risk_limits"] = {"stale_approval_drift_pct": "1"}
    world.prices["NSE:INFY"] = "1470.00"
    desk = signed_in(world)
    desk.queue.selected = "r1"
    text = desk.detail.markdown()
    assert 'class="drift-stale"' in text
    assert "drift **-2.00%** exceeds the 1% stale-approval limit" in text


def test_no_market_data_or_a_failing_quote_is_a_readable_note(world: FakeDesk) -> None:
    world.prices.clear()
    desk = signed_in(world)
    desk.queue.selected = "r1"
    assert "LTP now **n/a** — no market data for NSE:INFY (paper) · drift **-**" in (
        desk.detail.markdown()
    )

    world.quote_error = DashboardError("the broker is unreachable", {"kite": "timeout"})
    desk.detail.load()
    text = desk.detail.markdown()
    assert "LTP now unavailable: the broker is unreachable (kite: timeout)" in text
    assert desk.session.message_kind == "success"  # the page message is not taken over


def test_decisions_show_who_decided_by_username(world: FakeDesk) -> None:
    vikram = signed_in(world, "t-vikram")
    vikram.queue.selected = "r1"
    vikram.queue.approve()
    world.requests["r1"]["decisions"].append(
        {"approver_id": "u-gone", "decision": "approve", "channel": "api", "decided_at": "t"}
    )
    asha = signed_in(world)
    asha.queue.selected = "r1"
    text = asha.detail.markdown()
    assert "**approve** by **vikram** via dashboard" in text
    assert "by `u-gone` via api" in text  # no username known: the id


def test_sign_in_fetches_the_queue_and_agents_only_and_tabs_load_when_shown(
    world: FakeDesk,
) -> None:
    counting = CountingDesk(world)
    desk = signed_in(world, connect=counting.api)
    assert sorted(counting.calls) == ["list_agents", "me", "queue"]
    assert desk.runs.agent == "a1" and desk.runs.runs.empty
    desk.open_tab("Runs")
    desk.open_tab("Runs")
    assert counting.calls.count("list_runs") == 1 and list(desk.runs.runs["id"]) == ["run-1"]


def test_the_first_page_builds_only_the_approvals_tab(world: FakeDesk) -> None:
    counting = CountingDesk(world)
    app = DashboardApp(counting.api, now=lambda: T0)
    app.session.token = "t-asha"
    root = app.__panel__().get_root(Document())
    assert app.sign_in() and root is not None
    models = root.references()  # what the browser receives
    tabs = [m for m in models if type(m).__name__ == "Tabs"]
    assert len(tabs) == 1
    assert [p.title for p in tabs[0].tabs] == ["Approvals", "Runs", "Agents"]  # type: ignore[attr-defined]
    assert "list_runs" not in counting.calls
    tables = [m for m in models if type(m).__name__ == "DataTabulator"]
    assert len(tables) == 1  # the queue; other tables are built with their tab


def test_drift_and_limit_rules() -> None:
    assert drift_pct("100", "97.5") is not None and str(drift_pct("100", "97.5")) == "-2.50"
    assert drift_pct("0", "1") is None and drift_pct("x", "1") is None
    assert drift_pct("Infinity", "1") is None and drift_pct(None, "1") is None
    limits: dict[str, Any] = {}
    agent = {"active_version": 2, "versions": [{"version": 2, "config": {"risk_limits": limits}}]}
    assert str(stale_drift_limit(agent)) == "2" and str(stale_drift_limit(None)) == "2"
    limits["stale_approval_drift_pct"] = "3.5"
    assert str(stale_drift_limit(agent)) == "3.5"


def test_quotes_go_to_the_quote_route_as_the_user() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"source": "paper", "quotes": [], "missing": []})

    api = HttpDashboardApi("http://desk.test", "desk_secret", transport=httpx.MockTransport(handle))
    assert api.quotes(["NSE:INFY", "NSE:TCS"])["source"] == "paper"
    [sent] = seen
    assert sent.url.path == "/api/v1/quotes/"
    assert dict(sent.url.params) == {"instruments": "NSE:INFY,NSE:TCS"}
    assert sent.headers["Authorization"] == "Bearer desk_secret"
