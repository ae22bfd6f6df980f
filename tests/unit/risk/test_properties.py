"""Property tests for the fat-finger band, tick grid and lot rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from desk.domain.clock import IST
from desk.domain.instruments import Instrument
from desk.domain.orders import TradeProposal, parse_proposal
from desk.domain.risk import RiskContext, RiskLimits
from desk.domain.risk import order_checks as oc

NOW = datetime(2026, 1, 5, 11, 0, tzinfo=IST)
TICKS = [Decimal("0.01"), Decimal("0.05"), Decimal("0.1"), Decimal("0.5"), Decimal("1")]
BASE = Instrument(
    instrument_token=1,
    exchange_token=1,
    tradingsymbol="XYZ",
    name="XYZ",
    last_price=Decimal(0),
    expiry=None,
    strike=Decimal(0),
    tick_size=Decimal("0.05"),
    lot_size=1,
    instrument_type="EQ",
    segment="NSE",
    exchange="NSE",
)


def limit_order(price: Decimal, quantity: int = 1) -> TradeProposal:
    return parse_proposal(
        {
            "exchange": "NSE",
            "tradingsymbol": "XYZ",
            "transaction_type": "BUY",
            "quantity": quantity,
            "order_type": "LIMIT",
            "product": "CNC",
            "price": str(price),
            "rationale": "property",
        }
    )


def ctx(inst: Instrument, ltp: Decimal) -> RiskContext:
    return RiskContext(now=NOW, instrument=inst, ltp=ltp)


@given(
    tick=st.sampled_from(TICKS),
    ticks=st.integers(min_value=1, max_value=10_000_000),
    off=st.integers(min_value=1, max_value=99),
)
def test_tick_grid(tick: Decimal, ticks: int, off: int) -> None:
    inst = replace(BASE, tick_size=tick)
    on = tick * ticks
    assert oc.check_tick_size(limit_order(on), RiskLimits(), ctx(inst, on)).passed
    # a price strictly between two grid points is off the grid
    between = on + tick * Decimal(off) / 100
    assert not oc.check_tick_size(limit_order(between), RiskLimits(), ctx(inst, on)).passed


@given(lot=st.integers(min_value=1, max_value=1800), qty=st.integers(min_value=1, max_value=10**6))
def test_lot_multiple(lot: int, qty: int) -> None:
    inst = replace(BASE, lot_size=lot)
    result = oc.check_lot_size(
        limit_order(Decimal(100), qty), RiskLimits(), ctx(inst, Decimal(100))
    )
    assert result.passed is (qty % lot == 0)
    if not result.passed:
        assert str(lot) in result.message


@given(
    ltp_ticks=st.integers(min_value=20, max_value=2_000_000),
    move_bp=st.integers(min_value=-9_000, max_value=9_000),
    band=st.sampled_from(
        [Decimal("0.5"), Decimal("1"), Decimal("2.5"), Decimal("5"), Decimal("10")]
    ),
)
def test_fat_finger_band(ltp_ticks: int, move_bp: int, band: Decimal) -> None:
    ltp = Decimal("0.05") * ltp_ticks
    price = (ltp * (1 + Decimal(move_bp) / 10_000)).quantize(Decimal("0.05"))
    if price <= 0:
        return
    limits = RiskLimits(fat_finger_band_pct=band)
    result = oc.check_fat_finger(limit_order(price), limits, ctx(BASE, ltp))
    distance = abs(price - ltp) * 100 / ltp
    assert result.passed is (distance <= band)
    # symmetric: the mirror price on the other side gets the same verdict
    mirror = ltp - (price - ltp)
    if mirror > 0:
        other = oc.check_fat_finger(limit_order(mirror), limits, ctx(BASE, ltp))
        assert other.passed is result.passed


@given(ltp_ticks=st.integers(min_value=1, max_value=2_000_000))
def test_price_at_ltp_is_always_inside_the_band(ltp_ticks: int) -> None:
    ltp = Decimal("0.05") * ltp_ticks
    limits = RiskLimits(fat_finger_band_pct=Decimal(0))
    assert oc.check_fat_finger(limit_order(ltp), limits, ctx(BASE, ltp)).passed
