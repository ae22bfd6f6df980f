"""The live market view: one concurrent round of Kite reads, and the margin check on Kite's
order-margins API (through the real ``kiteconnect`` client against the fake Kite)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest

from desk.adapters.kite import KiteBroker
from desk.adapters.kite.fake_server import RunningFakeKite
from desk.adapters.store.per_call import execution_repository
from desk.adapters.trading_venue import BrokerMarketView
from desk.bootstrap import Runtime
from desk.demo_data import INSTRUMENTS_CSV
from desk.domain.broker import BrokerAuthError, OrderIntent
from desk.domain.orders import parse_proposal
from desk.domain.risk.account_checks import check_margin
from desk.domain.risk.model import RiskContext, RiskLimits
from desk.services import approvals, proposals, trading
from desk.services.execution import Executor
from tests.integration.conftest import ROOT, People, make_agent, promote_to_paper
from tests.integration.trading.test_proposals import MARKET, order
from tests.unit.execution.support import FAST, paper_setup

RUPEE = 100


def proposal(**overrides: Any) -> Any:
    base = {**order(order_type="MARKET", price=None), **overrides}
    return parse_proposal(base)


def set_equity_net(fake: RunningFakeKite, rupees: int) -> None:
    fake.state.margins["equity"]["net"] = float(rupees)


def test_snapshot_reads_ltp_positions_and_both_margins_from_kite(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    snap = BrokerMarketView(make_kite(), live=True).snapshot(proposal(quantity=10, product="MIS"))
    assert snap.ltp == Decimal("1500")
    assert snap.available_margin_paise == 500_000 * RUPEE  # the fixture's equity net
    # the fake blocks 20% of the value for MIS, plus 0.12% charges: 3,000 + 18
    assert snap.required_margin_paise == 3_018 * RUPEE
    paths = {(r.method, r.path) for r in fake_kite.fake.requests}
    assert {("GET", "/quote/ltp"), ("GET", "/portfolio/positions")} <= paths
    assert {("GET", "/user/margins"), ("POST", "/margins/orders")} <= paths


def test_the_margin_check_uses_the_orders_required_margin_not_its_value(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    set_equity_net(fake_kite, 10_000)
    market = BrokerMarketView(make_kite(), live=True)
    for product, passes in (("MIS", True), ("CNC", False)):
        p = proposal(quantity=10, product=product)  # value ₹15,000 either way
        snap = market.snapshot(p)
        ctx = RiskContext(
            now=paper_setup().clock.now(),
            instrument=None,
            ltp=snap.ltp,
            available_margin_paise=snap.available_margin_paise,
            required_margin_paise=snap.required_margin_paise,
        )
        result = check_margin(p, RiskLimits(), ctx)
        assert result.passed is passes, (product, result.message)
    assert "needs margin" in result.message and "15,018" in result.message


def test_selling_delivery_holdings_asks_kite_for_no_margin(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    set_equity_net(fake_kite, 0)
    p = proposal(quantity=10, product="CNC", transaction_type="SELL")
    snap = BrokerMarketView(make_kite(), live=True).snapshot(p)
    assert snap.required_margin_paise is None and snap.available_margin_paise == 0
    assert ("POST", "/margins/orders") not in {(r.method, r.path) for r in fake_kite.fake.requests}
    ctx = RiskContext(
        now=paper_setup().clock.now(), instrument=None, ltp=snap.ltp,
        available_margin_paise=snap.available_margin_paise,
        required_margin_paise=snap.required_margin_paise,
    )  # fmt: skip
    assert check_margin(p, RiskLimits(), ctx).passed  # Kite's RMS checks the holdings


class BarrierBroker:
    """Each of the four reads waits for the other three: they only all finish when they
    run at the same time (sequential reads break the barrier)."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(4, timeout=10)

    def _meet(self) -> None:
        self.barrier.wait()

    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        self._meet()
        return {i: Decimal("1500") for i in instruments}

    def positions(self) -> Any:
        self._meet()
        return paper_setup().broker.positions()

    def margins(self) -> Any:
        self._meet()
        return paper_setup().broker.margins()

    def order_margins(self, intents: Sequence[OrderIntent]) -> Any:
        self._meet()
        return paper_setup().broker.order_margins(intents)


def test_the_four_live_reads_run_concurrently() -> None:
    snap = BrokerMarketView(BarrierBroker(), live=True).snapshot(proposal())  # type: ignore[arg-type]
    assert snap.ltp == Decimal("1500") and snap.required_margin_paise == 15_000 * RUPEE


def test_an_expired_token_fails_the_snapshot_and_is_reported_once(
    make_kite: Callable[..., KiteBroker], fake_kite: RunningFakeKite
) -> None:
    expired: list[bool] = []
    broker = make_kite(on_token_expired=lambda: expired.append(True))
    fake_kite.state.expire_tokens()
    with pytest.raises(BrokerAuthError):
        BrokerMarketView(broker, live=True).snapshot(proposal())
    assert expired == [True]  # four reads refused, one notice


@pytest.fixture
def agent_id(runtime: Runtime, people: People) -> str:
    proposals.load_instruments(runtime, ROOT, INSTRUMENTS_CSV.read_text())
    agent = make_agent(runtime, people)
    promote_to_paper(runtime, people, agent)
    return agent


@pytest.mark.parametrize(("product", "executed"), [("MIS", True), ("CNC", False)])
def test_live_execution_checks_kites_required_margin(
    runtime: Runtime,
    people: People,
    agent_id: str,
    make_kite: Callable[..., KiteBroker],
    fake_kite: RunningFakeKite,
    product: str,
    executed: bool,
) -> None:
    """₹10,000 available: an MIS order of ₹15,000 needs ₹3,018 and is placed; the same CNC
    order needs ₹15,018 and fails the re-check, and nothing reaches Kite."""
    set_equity_net(fake_kite, 10_000)
    broker = make_kite()
    submitted = proposals.submit_proposal(
        runtime, MARKET, people.owner, agent_id,
        order(order_type="MARKET", price=None, product=product),
    )  # fmt: skip
    request_id = submitted.request_id or ""
    approvals.decide(runtime, people.a1, request_id, "approve")
    approvals.decide(runtime, people.a2, request_id, "approve")
    executor = Executor(
        broker, execution_repository(runtime.db), runtime.clock, runtime.ids, policy=FAST
    )
    result = trading.execute_request(
        runtime, executor, BrokerMarketView(broker, live=True), request_id
    )
    placed = fake_kite.fake.placed_requests()
    if executed:
        assert result.outcome is trading.TradeOutcome.EXECUTED, result.message
        assert len(placed) == 1
    else:
        assert result.outcome is trading.TradeOutcome.FAILED
        assert "margin" in result.message and "15,018" in result.message
        assert placed == []
    # the fresh intent was placed without reading the order book first
    assert ("GET", "/orders") not in {(r.method, r.path) for r in fake_kite.fake.requests}
