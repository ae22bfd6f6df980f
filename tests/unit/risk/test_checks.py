from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from desk.domain.clock import IST
from desk.domain.errors import ValidationError
from desk.domain.orders import OrderType, Product
from desk.domain.risk import (
    CheckResult,
    RiskContext,
    RiskLimits,
    run_checks,
    stale_approval,
)
from desk.domain.risk import account_checks as acct
from desk.domain.risk import order_checks as oc

MakeP = Callable[..., Any]
MakeC = Callable[..., RiskContext]
LIMITS = RiskLimits()


def test_a_clean_order_passes_every_check(proposal: MakeP, context: MakeC) -> None:
    report = run_checks(proposal(), LIMITS, context())
    assert report.passed, report.summary()
    assert len(report.results) == 17
    assert "all 17" in report.summary()


def test_every_failure_is_reported_not_just_the_first(proposal: MakeP, context: MakeC) -> None:
    p = proposal(tradingsymbol="INFI", quantity=5000, price="1500.03", product="NRML")
    ctx = context(
        "NSE:INFI",
        now=datetime(2026, 1, 3, 11, 0, tzinfo=IST),
        orders_today=20,
        realized_pnl_today_paise=-600_000,
    )
    report = run_checks(p, LIMITS, ctx)
    failed = set(report.failed_names())
    assert {
        "instrument_exists",
        "product_allowed",
        "max_order_value",
        "max_quantity",
        "max_orders_per_day",
        "max_notional_per_day",
        "position_exposure",
        "market_hours",
        "daily_loss_limit",
    } <= failed
    assert report.pause_agent
    assert "did you mean INFY" in report.summary()


def test_unknown_symbol_suggests(proposal: MakeP, context: MakeC) -> None:
    r = oc.check_instrument(proposal(tradingsymbol="RELIANSE"), LIMITS, context("NSE:RELIANSE"))
    assert not r.passed and "did you mean RELIANCE" in r.message


def test_expired_future_is_untradable(proposal: MakeP, context: MakeC) -> None:
    p = proposal(exchange="NFO", tradingsymbol="NIFTY25DECFUT", quantity=75, price="23900")
    r = oc.check_instrument(p, LIMITS, context("NFO:NIFTY25DECFUT", ltp=Decimal("23900")))
    assert not r.passed and "expired on 2025-12-30" in r.message


def test_lot_and_tick_for_a_future(proposal: MakeP, context: MakeC) -> None:
    ctx = context("NFO:NIFTY26DECFUT", ltp=Decimal("24100"))
    good = proposal(exchange="NFO", tradingsymbol="NIFTY26DECFUT", quantity=150, price="24100.1")
    assert oc.check_lot_size(good, LIMITS, ctx).passed
    assert oc.check_tick_size(good, LIMITS, ctx).passed
    bad = proposal(exchange="NFO", tradingsymbol="NIFTY26DECFUT", quantity=100, price="24100.05")
    lot = oc.check_lot_size(bad, LIMITS, ctx)
    assert not lot.passed and "75 or 150" in lot.message
    tick = oc.check_tick_size(bad, LIMITS, ctx)
    assert not tick.passed and "0.1" in tick.message


def test_allowed_values_and_lists(proposal: MakeP, context: MakeC) -> None:
    limits = RiskLimits(
        allowed_exchanges=frozenset({"BSE"}),
        allowed_order_types=frozenset({OrderType.MARKET}),
        symbol_denylist=frozenset({"NSE:INFY"}),
    )
    p, ctx = proposal(), context()
    assert "BSE" in oc.check_exchange(p, limits, ctx).message
    assert not oc.check_order_type(p, limits, ctx).passed
    assert "deny" in oc.check_symbol_lists(p, limits, ctx).message
    allow = RiskLimits(symbol_allowlist=frozenset({"TCS"}))
    assert not oc.check_symbol_lists(p, allow, ctx).passed
    assert oc.check_symbol_lists(proposal(tradingsymbol="TCS"), allow, ctx).passed


def test_fat_finger_band(proposal: MakeP, context: MakeC) -> None:
    ctx = context(ltp=Decimal("1000"))
    assert oc.check_fat_finger(proposal(price="1050"), LIMITS, ctx).passed
    far = oc.check_fat_finger(proposal(price="1050.1"), LIMITS, ctx)
    assert not far.passed and "5.01%" in far.message
    assert not oc.check_fat_finger(proposal(price="1000"), LIMITS, context(ltp=None)).passed
    market = proposal(order_type="MARKET", price=None)
    assert oc.check_fat_finger(market, LIMITS, context(ltp=None)).passed


@pytest.mark.parametrize(
    ("when", "variety", "allow_amo", "passed", "needle"),
    [
        ((2026, 1, 5, 11, 0), "regular", False, True, "open"),
        ((2026, 1, 5, 17, 0), "regular", True, False, "resubmit with variety 'amo'"),
        ((2026, 1, 5, 17, 0), "amo", False, False, "not allowed"),
        ((2026, 1, 5, 17, 0), "amo", True, True, "AMO accepted"),
        ((2026, 1, 5, 12, 0), "amo", True, False, "outside the AMO window"),
        ((2026, 1, 26, 11, 0), "regular", False, False, "Republic Day"),
    ],
)
def test_market_hours(
    proposal: MakeP,
    context: MakeC,
    when: tuple[int, int, int, int, int],
    variety: str,
    allow_amo: bool,
    passed: bool,
    needle: str,
) -> None:
    r = oc.check_market_hours(
        proposal(variety=variety),
        RiskLimits(allow_amo=allow_amo),
        context(now=datetime(*when, 0, 0, tzinfo=IST)),
    )
    assert r.passed is passed and needle in r.message


def test_mis_cutoff(proposal: MakeP, context: MakeC) -> None:
    p = proposal(product="MIS")
    late = context(now=datetime(2026, 1, 5, 15, 20, tzinfo=IST))
    assert not oc.check_mis_cutoff(p, LIMITS, late).passed
    assert oc.check_mis_cutoff(proposal(), LIMITS, late).passed  # CNC
    assert oc.check_mis_cutoff(p, LIMITS, context()).passed


def test_unsupported_exchange_calendar(proposal: MakeP, context: MakeC) -> None:
    r = oc.check_market_hours(proposal(exchange="MCX"), LIMITS, context())
    assert not r.passed and "MCX" in r.message


def test_value_quantity_and_daily_totals(proposal: MakeP, context: MakeC) -> None:
    limits = RiskLimits(
        max_order_value_paise=1_500_000,
        max_quantity=10,
        max_orders_per_day=3,
        max_notional_per_day_paise=2_000_000,
    )
    p = proposal(quantity=10, price="1500")  # ₹15,000.00
    assert acct.check_max_value(p, limits, context()).passed
    assert not acct.check_max_value(proposal(quantity=10, price="1500.1"), limits, context()).passed
    assert not acct.check_max_quantity(proposal(quantity=11), limits, context()).passed
    assert acct.check_daily_count(p, limits, context(orders_today=2)).passed
    assert not acct.check_daily_count(p, limits, context(orders_today=3)).passed
    assert acct.check_daily_notional(p, limits, context(notional_today_paise=500_000)).passed
    r = acct.check_daily_notional(p, limits, context(notional_today_paise=500_001))
    assert not r.passed and "₹20,000.01" in r.message


def test_market_order_is_valued_at_ltp_or_fails(proposal: MakeP, context: MakeC) -> None:
    m = proposal(order_type="MARKET", price=None)
    assert acct.check_max_value(m, LIMITS, context(ltp=Decimal("1500"))).passed
    r = acct.check_max_value(m, LIMITS, context(ltp=None))
    assert not r.passed and "cannot value" in r.message


def test_exposure_after_fill(proposal: MakeP, context: MakeC) -> None:
    limits = RiskLimits(max_position_exposure_paise=3_000_000)  # ₹30,000
    assert acct.check_exposure(proposal(quantity=20), limits, context()).passed
    grow = acct.check_exposure(proposal(quantity=20), limits, context(position_quantity=1))
    assert not grow.passed and "21" in grow.message
    sell = proposal(transaction_type="SELL", quantity=20)
    shrink = acct.check_exposure(sell, limits, context(position_quantity=100))
    assert shrink.passed and "reduces" in shrink.message


def test_margin(proposal: MakeP, context: MakeC) -> None:
    p = proposal(quantity=10, price="1500")
    assert "not checked" in acct.check_margin(p, LIMITS, context()).message
    assert acct.check_margin(p, LIMITS, context(available_margin_paise=1_500_000)).passed
    short = acct.check_margin(p, LIMITS, context(available_margin_paise=1_499_999))
    assert not short.passed and "₹15,000.00" in short.message
    quoted = context(available_margin_paise=400_000, required_margin_paise=300_000)
    assert acct.check_margin(p, LIMITS, quoted).passed
    sell_cnc = proposal(transaction_type="SELL")
    assert acct.check_margin(sell_cnc, LIMITS, context(available_margin_paise=0)).passed


def test_daily_loss_pauses_agent(proposal: MakeP, context: MakeC) -> None:
    ok = acct.check_daily_loss(proposal(), LIMITS, context(realized_pnl_today_paise=-499_999))
    assert ok.passed and not ok.pause_agent
    hit = acct.check_daily_loss(proposal(), LIMITS, context(realized_pnl_today_paise=-500_000))
    assert not hit.passed and hit.pause_agent and "paused" in hit.message


def test_stale_approval() -> None:
    assert stale_approval(Decimal("100"), Decimal("102"), Decimal("2")).passed
    moved = stale_approval(Decimal("100"), Decimal("97.9"), Decimal("2"))
    assert not moved.passed and "2.10%" in moved.message and "re-approval" in moved.message
    assert not stale_approval(Decimal("0"), Decimal("1"), Decimal("2")).passed
    assert isinstance(moved, CheckResult)


def test_limits_overrides() -> None:
    agent = RiskLimits().with_overrides(
        {
            "allowed_products": ["mis"],
            "symbol_allowlist": ["nse:infy"],
            "fat_finger_band_pct": "2.5",
            "allow_amo": True,
            "max_quantity": 50,
        }
    )
    assert agent.allowed_products == frozenset({Product.MIS})
    assert agent.symbol_allowlist == frozenset({"NSE:INFY"})
    assert agent.fat_finger_band_pct == Decimal("2.5")
    assert agent.allow_amo and agent.max_quantity == 50
    assert RiskLimits().max_quantity == 1000  # defaults untouched
    with pytest.raises(ValidationError) as err:
        RiskLimits().with_overrides(
            {"nope": 1, "max_quantity": "ten", "allow_amo": "yes", "allowed_products": ["X"]}
        )
    assert set(err.value.fields) == {"nope", "max_quantity", "allow_amo", "allowed_products"}
    with pytest.raises(ValidationError):
        RiskLimits(max_quantity=-1)
