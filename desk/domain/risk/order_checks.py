"""Checks on the order itself: instrument, lot, tick, allowed values, lists, band, hours.

Every check has the same shape ``(proposal, limits, context) -> CheckResult`` and never
raises for a bad order: a failure is a result with a message for the person who asked.
"""

from __future__ import annotations

from decimal import Decimal

from desk.domain import market_calendar as cal
from desk.domain.instruments import suggest_symbols
from desk.domain.orders import Product, TradeProposal, Variety
from desk.domain.risk.model import CheckResult, RiskContext, RiskLimits

#: Exchanges whose session is the NSE equity/F&O calendar modelled in market_calendar.
CALENDAR_EXCHANGES = frozenset({"NSE", "BSE", "NFO", "BFO"})


def check_instrument(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "instrument_exists"
    inst = ctx.instrument
    if inst is None:
        hints = suggest_symbols(p.tradingsymbol, ctx.known_symbols)
        hint = f"; did you mean {', '.join(hints)}?" if hints else ""
        return CheckResult(name, False, f"unknown instrument {p.instrument_key}{hint}")
    if inst.exchange != p.exchange or inst.tradingsymbol != p.tradingsymbol:
        return CheckResult(name, False, f"instrument {inst.key} does not match {p.instrument_key}")
    reason = inst.untradable_reason(cal.to_ist(ctx.now).date())
    if reason:
        return CheckResult(name, False, reason)
    return CheckResult(name, True, f"{inst.key} is tradable (token {inst.instrument_token})")


def check_lot_size(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "lot_size"
    if ctx.instrument is None or ctx.instrument.lot_size <= 0:
        return CheckResult(name, True, "not checked: no instrument")
    lot = ctx.instrument.lot_size
    if p.quantity <= 0 or p.quantity % lot:
        lower = (p.quantity // lot) * lot
        near = f"{lower} or {lower + lot}" if lower else str(lot)
        msg = f"quantity {p.quantity} is not a multiple of the lot size {lot} (try {near})"
        return CheckResult(name, False, msg)
    return CheckResult(name, True, f"quantity {p.quantity} = {p.quantity // lot} lot(s) of {lot}")


def on_tick(price: Decimal, tick: Decimal) -> bool:
    return tick > 0 and price % tick == 0


def check_tick_size(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "tick_size"
    if ctx.instrument is None or ctx.instrument.tick_size <= 0:
        return CheckResult(name, True, "not checked: no instrument")
    tick = ctx.instrument.tick_size
    bad = [
        f"{label} {value} is not a multiple of the tick size {tick}"
        for label, value in (("price", p.price), ("trigger_price", p.trigger_price))
        if value is not None and not on_tick(value, tick)
    ]
    if bad:
        return CheckResult(name, False, "; ".join(bad))
    return CheckResult(name, True, f"prices are on the {tick} tick grid")


def _allowed(name: str, what: str, value: str, allowed: frozenset[str]) -> CheckResult:
    if value in allowed:
        return CheckResult(name, True, f"{what} {value} is allowed")
    shown = ", ".join(sorted(allowed)) or "none"
    return CheckResult(name, False, f"{what} {value} is not allowed (allowed: {shown})")


def check_exchange(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    return _allowed("exchange_allowed", "exchange", p.exchange, limits.allowed_exchanges)


def check_product(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    allowed = frozenset(str(x) for x in limits.allowed_products)
    return _allowed("product_allowed", "product", p.product.value, allowed)


def check_order_type(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    allowed = frozenset(str(x) for x in limits.allowed_order_types)
    return _allowed("order_type_allowed", "order type", p.order_type.value, allowed)


def _listed(p: TradeProposal, entries: frozenset[str]) -> bool:
    return p.instrument_key in entries or p.tradingsymbol in entries


def check_symbol_lists(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "symbol_lists"
    if _listed(p, limits.symbol_denylist):
        return CheckResult(name, False, f"{p.instrument_key} is on the deny list")
    if limits.symbol_allowlist is not None and not _listed(p, limits.symbol_allowlist):
        return CheckResult(name, False, f"{p.instrument_key} is not on the allow list")
    return CheckResult(name, True, f"{p.instrument_key} is permitted by the symbol lists")


def band_pct(price: Decimal, ltp: Decimal) -> Decimal:
    """How far ``price`` is from ``ltp``, in percent of ``ltp``."""
    return abs(price - ltp) * 100 / ltp


def check_fat_finger(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "fat_finger_band"
    if p.price is None or not p.order_type.needs_price:
        return CheckResult(name, True, "not applicable: no limit price")
    if ctx.ltp is None or ctx.ltp <= 0:
        return CheckResult(name, False, "no last traded price to compare the limit price with")
    off = band_pct(p.price, ctx.ltp)
    shown = off.quantize(Decimal("0.01"))
    if off > limits.fat_finger_band_pct:
        return CheckResult(
            name,
            False,
            f"limit price {p.price} is {shown}% away from the last price {ctx.ltp} "
            f"(band ±{limits.fat_finger_band_pct}%)",
        )
    msg = f"limit price {p.price} is {shown}% from the last price {ctx.ltp}"
    return CheckResult(name, True, msg)


def check_market_hours(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "market_hours"
    if p.exchange not in CALENDAR_EXCHANGES:
        return CheckResult(name, False, f"no trading calendar for {p.exchange}")
    local = cal.to_ist(ctx.now)
    stamp = local.strftime("%Y-%m-%d %H:%M IST")
    if p.variety is Variety.AMO:
        if not limits.allow_amo:
            return CheckResult(name, False, "after-market orders (AMO) are not allowed here")
        if cal.is_amo_window(ctx.now):
            return CheckResult(name, True, f"AMO accepted at {stamp}")
        return CheckResult(name, False, f"{stamp} is outside the AMO window (16:00-08:58 IST)")
    if cal.is_market_open(ctx.now):
        return CheckResult(name, True, f"market open at {stamp}")
    why = cal.closed_reason(local.date()) or f"{stamp} is outside the 09:15-15:30 IST session"
    hint = ""
    if limits.allow_amo and cal.is_amo_window(ctx.now):
        hint = "; resubmit with variety 'amo'"
    return CheckResult(name, False, f"market closed: {why}{hint}")


def check_mis_cutoff(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "mis_cutoff"
    if p.product is not Product.MIS:
        return CheckResult(name, True, "not applicable: not intraday")
    if p.variety is Variety.AMO:
        return CheckResult(name, True, "not applicable: AMO")
    local = cal.to_ist(ctx.now)
    cutoff = cal.mis_cutoff(local.date(), limits.mis_cutoff_minutes)
    if cal.is_market_open(ctx.now) and local >= cutoff:
        return CheckResult(
            name,
            False,
            f"intraday (MIS) orders stop at {cutoff.strftime('%H:%M')} IST "
            f"({limits.mis_cutoff_minutes} min before close)",
        )
    return CheckResult(name, True, f"before the MIS cutoff {cutoff.strftime('%H:%M')} IST")
