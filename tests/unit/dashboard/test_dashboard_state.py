"""The dashboard's state driven through the fake backend: no browser, no server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.dashboard.app import DashboardApp, Desk
from desk.dashboard.backend import DashboardError
from desk.dashboard.fake import T0, FakeDesk, trade_request
from desk.dashboard.session import Session


def now() -> object:
    return T0 + timedelta(minutes=30)


@pytest.fixture
def world() -> FakeDesk:
    desk = FakeDesk()
    desk.add_user("t-asha", "asha")
    desk.add_user("t-vikram", "vikram")
    desk.add_user("t-zed", "zed")
    desk.add_user("t-root", "root", role="admin")
    desk.agents["a1"] = {
        "id": "a1",
        "name": "infy-watch",
        "owner_id": "owner",
        "status": "active",
        "kill_switch": False,
        "approver_ids": ["asha", "vikram"],
        "live_version": None,
        "versions": [
            {
                "version": 1,
                "stage": "paper",
                "author_id": "owner",
                "created_at": T0.isoformat(),
                "config": {"quorum": 2},
            },
            {
                "version": 2,
                "stage": "draft",
                "author_id": "owner",
                "created_at": T0.isoformat(),
                "config": {"quorum": 3},
            },
        ],
    }
    desk.add_request(trade_request("r1"))
    desk.add_request(trade_request("r2", instrument="NSE:TCS", price=None))
    return desk


def signed_in(world: FakeDesk, token: str) -> DashboardApp:
    app = DashboardApp(world.api, now=now)  # type: ignore[arg-type]
    app.session.token = token
    assert app.sign_in()
    return app


def desk_of(app: DashboardApp) -> Desk:
    assert app.desk is not None
    return app.desk


def test_sign_in_rejects_a_bad_token_with_a_readable_message(world: FakeDesk) -> None:
    app = DashboardApp(world.api)
    app.session.token = "nope"
    assert not app.sign_in()
    assert app.session.user is None and app.desk is None
    assert "invalid or revoked" in app.session.message
    app.session.token = ""
    assert not app.sign_in() and "Enter your API token" in app.session.message


def test_queue_rows_show_value_age_time_left_and_quorum(world: FakeDesk) -> None:
    q = desk_of(signed_in(world, "t-asha")).queue
    assert list(q.table["id"]) == ["r1", "r2"]
    row = q.table.iloc[0]
    assert row["value"] == "₹15,000.00" and row["quorum"] == "0 of 2"
    assert row["age"] == "30m" and row["time_left"] == "3h 30m"
    assert q.table.iloc[1]["price"] == "MARKET"


def test_filters_narrow_the_table(world: FakeDesk) -> None:
    q = desk_of(signed_in(world, "t-asha")).queue
    q.text = "tcs"
    assert list(q.table["id"]) == ["r2"]
    q.text, q.kind = "", "config_promotion"
    assert q.table.empty


def test_two_sessions_reach_quorum_once_with_their_own_identity(world: FakeDesk) -> None:
    asha, vikram = signed_in(world, "t-asha"), signed_in(world, "t-vikram")
    for app in (asha, vikram):
        q = desk_of(app).queue
        q.selected = "r1"
        q.approve()
        assert app.session.message_kind == "success", app.session.message
    r1 = world.requests["r1"]
    assert r1["state"] == "approved" and r1["summary"]["quorum_progress"] == "2 of 2"
    assert [d["approver_id"] for d in r1["decisions"]] == ["asha", "vikram"]
    assert "r1" not in list(desk_of(asha).queue.table["id"])


def test_reject_needs_a_reason_and_records_it(world: FakeDesk) -> None:
    q = desk_of(signed_in(world, "t-asha")).queue
    q.selected = "r2"
    q.reject()
    assert world.requests["r2"]["state"] == "pending" and "reason is required" in q.session.message
    q.reason = "too large"
    q.reject()
    assert world.requests["r2"]["state"] == "rejected"
    assert world.requests["r2"]["decisions"][0]["reason"] == "too large"


def test_outsider_sees_nothing_and_service_errors_are_messages(world: FakeDesk) -> None:
    app = signed_in(world, "t-zed")
    q = desk_of(app).queue
    assert q.table.empty
    q.scope = "all"
    assert q.table.empty
    q.requests = [world.requests["r1"]]  # even if a foreign request were shown
    q.selected = "r1"
    q.approve()
    assert app.session.message_kind == "danger" and "not found" in app.session.message
    assert world.requests["r1"]["decisions"] == []


def test_live_orders_need_a_confirmation(world: FakeDesk) -> None:
    world.agents["a1"]["live_version"] = 1
    q = desk_of(signed_in(world, "t-asha")).queue
    q.selected = "r1"
    q.approve()
    assert "LIVE" in q.session.message and world.requests["r1"]["approvals"] == 0
    q.confirm_live = True
    q.approve()
    assert world.requests["r1"]["approvals"] == 1


def test_detail_shows_evidence_risk_and_decisions(world: FakeDesk) -> None:
    desk = desk_of(signed_in(world, "t-asha"))
    desk.queue.selected = "r1"
    text = desk.detail.markdown()
    assert "[INFY Q2](https://example.com/infy)" in text and "Strong results." in text
    assert list(desk.detail.risk["check"]) == ["max_value"]
    desk.queue.approve()
    assert desk.queue.selected == ""  # decided: it left the queue, the detail stays
    desk.tick()
    assert "approve** by you (asha) via dashboard" in desk.detail.markdown()


def test_tick_picks_up_requests_decided_elsewhere(world: FakeDesk) -> None:
    desk = desk_of(signed_in(world, "t-asha"))
    world.add_request(trade_request("r3", instrument="NSE:TATASTEEL"))
    world.requests["r1"]["decisions"].append({"approver_id": "asha"})
    desk.tick()
    assert list(desk.queue.table["id"]) == ["r2", "r3"]


def test_a_failing_refresh_keeps_the_page_usable(world: FakeDesk) -> None:
    desk = desk_of(signed_in(world, "t-asha"))
    world.fail_with = DashboardError("service busy", {"page": "try later"})
    desk.tick()
    assert desk.session.message == "service busy (page: try later)"
    assert list(desk.queue.table["id"]) == ["r1", "r2"]
    desk.tick()
    assert len(desk.queue.table) == 2


def test_agents_versions_diff_and_pause(world: FakeDesk) -> None:
    agents = desk_of(signed_in(world, "t-root")).agents
    agents.agent = "a1"
    assert '-  "quorum": 2' in agents.diff and '+  "quorum": 3' in agents.diff
    agents.pause_reason = "holiday"
    agents.pause()
    assert world.agents["a1"]["status"] == "paused"
    agents.resume()
    assert world.agents["a1"]["status"] == "active"


def test_runs_start_follow_and_cancel(world: FakeDesk) -> None:
    runs = desk_of(signed_in(world, "t-root")).runs
    assert runs.agent == "a1"
    runs.query = "Is INFY a buy?"
    runs.start()
    assert runs.run_id == "run-1" and runs.active
    world.events["run-1"].append(
        {"seq": 1, "kind": "step", "payload": {"text": "thinking"}, "created_at": T0.isoformat()}
    )
    runs.follow()
    runs.follow()
    assert list(runs.events["summary"]) == ["thinking"]
    runs.cancel()
    assert world.runs["a1"][0]["status"] == "canceled" and not runs.active
    runs.status = "running"
    assert runs.runs.empty


def test_operations_kill_switch_needs_confirmation_and_admin(world: FakeDesk) -> None:
    ops = desk_of(signed_in(world, "t-root")).operations
    ops.set_global(True)
    assert world.global_switch["on"] is False
    ops.confirm = True
    ops.set_global(True)
    assert world.global_switch == {"on": True, "reason": None, "changed_by": "root"}
    member = Desk(Session(world.api)).operations
    member.session.token = "t-asha"
    member.session.sign_in()
    member.confirm = True
    member.set_global(False)
    assert world.global_switch["on"] is True and "only admins" in member.session.message


def test_operations_warn_about_kite_tokens_and_verify_audit(world: FakeDesk) -> None:
    world.credentials.append(
        {
            "label": "kite",
            "api_key": "••••y123",
            "token_status": "expiring",
            "access_token_expires_at": (T0 + timedelta(hours=1)).isoformat(),
        }
    )
    desk = desk_of(signed_in(world, "t-root"))
    assert desk.operations.warnings == []  # fetched when the Operations tab is first shown
    desk.open_tab("Operations")
    ops = desk.operations
    assert ops.warnings == ["kite: the Kite access token expires in 30m"]
    ops.verify()
    assert ops.verify_result.startswith("✔ chain intact")


def test_sign_out_forgets_the_user(world: FakeDesk) -> None:
    app = signed_in(world, "t-asha")
    app.sign_out()
    assert app.session.user is None and app.session.api is None and app.desk is None


def test_listing_scopes_page_through_everything(world: FakeDesk) -> None:
    for i in range(250):
        world.add_request(trade_request(f"x{i:03d}"))
    q = desk_of(signed_in(world, "t-asha")).queue
    q.scope = "pending"
    assert len(q.table) == 252 and q.shown == "252 shown of 252 (pending)"


def test_an_unchanged_queue_is_not_rebuilt(world: FakeDesk) -> None:
    q = desk_of(signed_in(world, "t-asha")).queue
    before = q.table
    q.refresh()
    assert q.table is before
    world.add_request(trade_request("r3"))
    q.refresh()
    assert q.table is not before and len(q.table) == 3


def test_a_trade_from_a_run_shows_the_run_and_opens_it(world: FakeDesk) -> None:
    desk = desk_of(signed_in(world, "t-asha"))
    run = desk.runs.session.attempt(lambda api: api.start_run("a1", "Is INFY a buy?", None))
    assert run is not None
    run.update(status="completed", result_text="Buy INFY: strong deal flow.")
    world.requests["r1"]["details"]["run_id"] = run["id"]
    desk.queue.selected = "r1"
    assert "#### Research run" in desk.detail.markdown()
    assert "Buy INFY: strong deal flow." in desk.detail.markdown()
    desk.detail.open_run()
    assert desk.runs.agent == "a1" and desk.runs.run_id == run["id"]
