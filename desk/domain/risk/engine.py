"""Run every risk check and collect every failure; the stale-approval guard."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from desk.domain.orders import TradeProposal
from desk.domain.risk import account_checks as acct
from desk.domain.risk import order_checks as order
from desk.domain.risk.model import CheckResult, RiskContext, RiskLimits, RiskReport

Check = Callable[[TradeProposal, RiskLimits, RiskContext], CheckResult]

#: Every check, in the order a person reads the report.
ALL_CHECKS: tuple[Check, ...] = (
    order.check_instrument,
    order.check_lot_size,
    order.check_tick_size,
    order.check_exchange,
    order.check_product,
    order.check_order_type,
    order.check_symbol_lists,
    acct.check_max_value,
    acct.check_max_quantity,
    acct.check_daily_count,
    acct.check_daily_notional,
    acct.check_exposure,
    order.check_fat_finger,
    order.check_market_hours,
    order.check_mis_cutoff,
    acct.check_margin,
    acct.check_daily_loss,
)


def run_checks(
    proposal: TradeProposal,
    limits: RiskLimits,
    context: RiskContext,
    *,
    checks: tuple[Check, ...] = ALL_CHECKS,
) -> RiskReport:
    """Run ALL checks (no short-circuit) so the report names every failure."""
    return RiskReport(tuple(check(proposal, limits, context) for check in checks))


def stale_approval(
    ltp_at_creation: Decimal, ltp_now: Decimal, max_drift_pct: Decimal
) -> CheckResult:
    """Refuse execution when the price moved more than ``max_drift_pct`` since the request."""
    name = "stale_approval"
    if ltp_at_creation <= 0:
        return CheckResult(name, False, "no valid last price recorded when the request was created")
    drift = abs(ltp_now - ltp_at_creation) * 100 / ltp_at_creation
    shown = drift.quantize(Decimal("0.01"))
    if drift > max_drift_pct:
        return CheckResult(
            name,
            False,
            f"price moved {shown}% since the request ({ltp_at_creation} → {ltp_now}), "
            f"more than {max_drift_pct}%; needs re-approval",
        )
    return CheckResult(name, True, f"price moved {shown}% since the request (≤ {max_drift_pct}%)")
