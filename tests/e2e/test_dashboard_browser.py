"""The approval dashboard in a real browser against a real desk service (paper broker)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.stack import Dashboard, Service, wait_for

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 15_000
QUEUE_ROW = ".approval-queue .tabulator-row"
expect.set_options(timeout=10_000)


@pytest.fixture
def browser(browser: Browser) -> Iterator[Browser]:
    """The session's browser; every context a test opened is closed after it (so its
    dashboard session ends and stops refreshing)."""
    yield browser
    for context in browser.contexts:
        context.close()


def sign_in(browser: Browser, dashboard: Dashboard, token: str, who: str) -> Page:
    page = browser.new_context(viewport={"width": 1500, "height": 1000}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(dashboard.url)
    page.locator("input[type=password]").fill(token)
    page.locator("input[type=password]").press("Enter")
    expect(page.get_by_text(f"Signed in as {who} (")).to_be_visible()
    return page


def pick(page: Page, symbol: str) -> None:
    """Click the queue row of ``symbol`` (the detail then shows it)."""
    page.locator(QUEUE_ROW, has_text=symbol).first.click()
    expect(page.get_by_text(f"1 {symbol}").first).to_be_visible()


def test_two_approvers_reach_quorum_once_and_the_order_executes(
    browser: Browser, dashboard: Dashboard, service: Service
) -> None:
    request_id = service.propose("INFY")
    asha = sign_in(browser, dashboard, service.tokens["asha"], "asha")
    vikram = sign_in(browser, dashboard, service.tokens["vikram"], "vikram")
    expect(asha.locator(QUEUE_ROW, has_text="NSE:INFY")).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    asha.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
    for page in (asha, vikram):
        pick(page, "NSE:INFY")
    asha.screenshot(path=str(ARTIFACTS / "queue-detail.png"), full_page=True)
    asha.get_by_role("button", name="Approve").click()
    expect(asha.get_by_text("recorded (state pending, 1 of 2)")).to_be_visible()
    # Vikram's page picks up Asha's vote by itself (live refresh), then he approves.
    expect(vikram.get_by_text("1 of 2").first).to_be_visible()
    # the detail names who decided (username, not id) and compares LTP now with creation
    expect(vikram.get_by_text("approve by asha via dashboard")).to_be_visible()
    expect(vikram.get_by_text("LTP now").first).to_contain_text("(paper)")
    expect(vikram.get_by_text("LTP now").first).to_contain_text("drift")
    vikram.get_by_role("button", name="Approve").click()
    expect(vikram.get_by_text("approved (state approved, 2 of 2)")).to_be_visible()
    wait_for(lambda: service.request(request_id)["state"] == "executed", what="execution")
    decisions = service.request(request_id)["decisions"]
    assert sorted(d["channel"] for d in decisions) == ["dashboard", "dashboard"]
    assert len({d["approver_id"] for d in decisions}) == 2
    for page in (asha, vikram):  # both pages show the executed order without a reload
        expect(page.locator("h3 strong", has_text="executed")).to_be_visible()
        expect(page.locator("strong", has_text="COMPLETE")).to_be_visible()
        expect(page.locator(QUEUE_ROW, has_text="NSE:INFY")).to_have_count(0)


def test_reject_needs_a_reason(browser: Browser, dashboard: Dashboard, service: Service) -> None:
    request_id = service.propose("TCS")
    asha = sign_in(browser, dashboard, service.tokens["asha"], "asha")
    pick(asha, "NSE:TCS")
    asha.get_by_role("button", name="Reject").click()
    expect(asha.get_by_text("A reason is required to reject.")).to_be_visible()
    reason = asha.get_by_placeholder("why (required to reject)")
    reason.fill("position too concentrated")
    reason.press("Enter")  # Enter in the reason field rejects
    expect(asha.get_by_text("rejected (state rejected")).to_be_visible()
    found = service.request(request_id)
    assert found["state"] == "rejected"
    assert found["decisions"][0]["reason"] == "position too concentrated"


def test_an_outsider_sees_no_requests_and_cannot_decide(
    browser: Browser, dashboard: Dashboard, service: Service
) -> None:
    request_id = service.propose("WIPRO")
    zed = sign_in(browser, dashboard, service.tokens["zed"], "zed")
    expect(zed.get_by_text("Approve", exact=True)).to_be_visible()
    time.sleep(2.5)  # one live refresh later, still nothing
    expect(zed.locator(QUEUE_ROW)).to_have_count(0)
    zed.get_by_role("button", name="Approve").click()
    expect(zed.get_by_text("Select a request first.")).to_be_visible()
    assert service.request(request_id)["decisions"] == []
    zed.get_by_role("button", name="Sign out").click()
    expect(zed.locator("input[type=password]")).to_be_visible()


def test_kill_switch_from_the_page_blocks_execution(
    browser: Browser, dashboard: Dashboard, service: Service
) -> None:
    request_id = service.propose("SBIN")
    owner = sign_in(browser, dashboard, service.tokens["owner"], "owner")
    owner.locator(".bk-tab", has_text="Operations").click()
    owner.get_by_role("button", name="Kill switch ON (desk)").click()
    expect(owner.get_by_text("Tick the confirmation")).to_be_visible()
    owner.locator(".confirm-kill input[type=checkbox]").check()
    owner.get_by_role("button", name="Kill switch ON (desk)").click()
    expect(owner.get_by_text("no trades execute")).to_be_visible()
    try:
        for who in ("asha", "vikram"):
            with service.client(who) as c:
                c.post(
                    f"/api/v1/approval-requests/{request_id}/decide/", json={"decision": "approve"}
                ).raise_for_status()
        time.sleep(2)  # the approval event's execution attempt has run by now
        held = service.request(request_id)
        assert held["state"] == "approved" and held["order"] is None  # held, not executed
        owner.locator(".confirm-kill input[type=checkbox]").check()
        owner.get_by_role("button", name="Kill switch off (desk)").click()
        expect(owner.get_by_text("Desk-wide kill switch: off")).to_be_visible()
        wait_for(
            lambda: service.request(request_id)["state"] == "executed",
            timeout=15,
            what="execution once the switch is off",
        )
    finally:
        with service.client("owner") as c:
            c.put("/api/v1/kill-switch/", json={"on": False}).raise_for_status()
