"""Pre-trade risk checks: small pure rules, each returning a :class:`CheckResult`."""

from desk.domain.risk.engine import ALL_CHECKS, Check, run_checks, stale_approval
from desk.domain.risk.model import (
    CheckResult,
    RiskContext,
    RiskLimits,
    RiskReport,
    order_value_paise,
    to_paise,
)

__all__ = [
    "ALL_CHECKS",
    "Check",
    "CheckResult",
    "RiskContext",
    "RiskLimits",
    "RiskReport",
    "order_value_paise",
    "run_checks",
    "stale_approval",
    "to_paise",
]
