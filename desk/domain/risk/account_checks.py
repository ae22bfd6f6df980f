"""Checks on size and on the account: value, quantity, daily totals, exposure, margin, loss."""

from __future__ import annotations

from desk.domain.orders import Product, TradeProposal, TransactionType
from desk.domain.risk.model import (
    CheckResult,
    RiskContext,
    RiskLimits,
    order_value_paise,
    rupees,
    signed_quantity,
    to_paise,
    valuation_price,
)


def check_max_value(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "max_order_value"
    value = order_value_paise(p, ctx.ltp)
    if value is None:
        return CheckResult(name, False, "cannot value the order: no price and no last price")
    cap = limits.max_order_value_paise
    if value > cap:
        msg = f"order value {rupees(value)} exceeds the limit {rupees(cap)}"
        return CheckResult(name, False, msg)
    return CheckResult(name, True, f"order value {rupees(value)} within {rupees(cap)}")


def check_max_quantity(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    ok = p.quantity <= limits.max_quantity
    verb = "within" if ok else "exceeds"
    msg = f"quantity {p.quantity} {verb} the limit {limits.max_quantity}"
    return CheckResult("max_quantity", ok, msg)


def check_daily_count(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    after = ctx.orders_today + 1
    cap = limits.max_orders_per_day
    if after > cap:
        return CheckResult(
            "max_orders_per_day", False, f"would be order {after} today; the limit is {cap} per day"
        )
    return CheckResult("max_orders_per_day", True, f"order {after} of {cap} today")


def check_daily_notional(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "max_notional_per_day"
    value = order_value_paise(p, ctx.ltp)
    if value is None:
        return CheckResult(name, False, "cannot value the order: no price and no last price")
    after = ctx.notional_today_paise + value
    cap = limits.max_notional_per_day_paise
    if after > cap:
        return CheckResult(
            name, False, f"today's notional would be {rupees(after)}, over the limit {rupees(cap)}"
        )
    return CheckResult(name, True, f"today's notional would be {rupees(after)} of {rupees(cap)}")


def check_exposure(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    """Position value in the symbol after the fill; orders that shrink a position always pass."""
    name = "position_exposure"
    price = valuation_price(p, ctx.ltp)
    if price is None:
        return CheckResult(name, False, "cannot value the position: no price and no last price")
    before = ctx.position_quantity
    after = before + signed_quantity(p)
    exposure = to_paise(price * abs(after))
    cap = limits.max_position_exposure_paise
    if abs(after) <= abs(before):
        return CheckResult(name, True, f"reduces the position from {before} to {after}")
    if exposure > cap:
        return CheckResult(
            name,
            False,
            f"position after the fill would be {after} ({rupees(exposure)}), "
            f"over the per-symbol limit {rupees(cap)}",
        )
    return CheckResult(name, True, f"position after the fill {after} ({rupees(exposure)})")


def required_margin(p: TradeProposal, ctx: RiskContext) -> int | None:
    if ctx.required_margin_paise is not None:
        return ctx.required_margin_paise
    if p.transaction_type is TransactionType.SELL and p.product is Product.CNC:
        return 0  # selling delivery holdings needs no margin
    return order_value_paise(p, ctx.ltp)


def check_margin(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "margin"
    if ctx.available_margin_paise is None:
        return CheckResult(name, True, "not checked: no margin data (paper or offline)")
    need = required_margin(p, ctx)
    if need is None:
        return CheckResult(name, False, "cannot work out the margin needed: no price")
    have = ctx.available_margin_paise
    if need > have:
        msg = f"needs margin {rupees(need)}, only {rupees(have)} available"
        return CheckResult(name, False, msg)
    return CheckResult(name, True, f"margin {rupees(need)} of {rupees(have)} available")


def check_daily_loss(p: TradeProposal, limits: RiskLimits, ctx: RiskContext) -> CheckResult:
    name = "daily_loss_limit"
    pnl = ctx.realized_pnl_today_paise
    cap = limits.daily_loss_limit_paise
    if pnl <= -cap:
        return CheckResult(
            name,
            False,
            f"realized loss today {rupees(-pnl)} reached the limit {rupees(cap)}; agent paused",
            pause_agent=True,
        )
    return CheckResult(name, True, f"realized P&L today {rupees(pnl)} (loss limit {rupees(cap)})")
