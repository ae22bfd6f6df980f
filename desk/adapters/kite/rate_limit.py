"""Client-side limits for Kite order calls (place/modify/cancel), per account.

Defaults follow ``protocols/kite.md`` §6 on the safe side of conflicting sources: 10/s (the
exchange's retail-algo threshold: never configurable above it), 200/min, 3000/day.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyrate_limiter import Duration, Limiter, Rate

from desk.domain.broker import BrokerRateLimitedError
from desk.domain.errors import ConfigurationError

EXCHANGE_MAX_ORDERS_PER_SECOND = 10


@dataclass(frozen=True, slots=True)
class OrderRateLimits:
    per_second: int = 10
    per_minute: int = 200
    per_day: int = 3000
    #: How long an order call may wait for a slot before it is refused (retry-safe).
    max_wait_seconds: float = 2.0

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not 1 <= self.per_second <= EXCHANGE_MAX_ORDERS_PER_SECOND:
            errors["per_second"] = f"1-{EXCHANGE_MAX_ORDERS_PER_SECOND} (exchange threshold)"
        if self.per_minute < 1:
            errors["per_minute"] = "must be at least 1"
        if self.per_day < 1:
            errors["per_day"] = "must be at least 1"
        if self.max_wait_seconds < 0:
            errors["max_wait_seconds"] = "must not be negative"
        if errors:
            raise ConfigurationError("invalid Kite order rate limits", fields=errors)


def binding_rates(rates: list[Rate]) -> list[Rate]:
    """Drop rates another one already implies (pyrate-limiter refuses redundant lists).

    Intervals are multiples of each other, so a longer window whose density is not lower is
    never reached, and a shorter window whose limit is not lower never binds.
    """
    kept: list[Rate] = []
    for rate in sorted(rates, key=lambda r: r.interval):
        while kept and kept[-1].limit >= rate.limit:
            kept.pop()
        if kept and rate.limit * kept[-1].interval >= kept[-1].limit * rate.interval:
            continue
        kept.append(rate)
    return kept


class OrderRateLimiter:
    """Blocks up to ``max_wait_seconds`` for a slot, else raises BrokerRateLimitedError."""

    def __init__(self, limits: OrderRateLimits) -> None:
        self.limits = limits
        self._limiter = Limiter(
            binding_rates(
                [
                    Rate(limits.per_second, Duration.SECOND),
                    Rate(limits.per_minute, Duration.MINUTE),
                    Rate(limits.per_day, Duration.DAY),
                ]
            )
        )

    def acquire(self) -> None:
        wait = self.limits.max_wait_seconds
        if wait > 0:
            got = self._limiter.try_acquire("kite-orders", blocking=True, timeout=wait)
        else:
            got = self._limiter.try_acquire("kite-orders", blocking=False)
        if got is not True:
            raise BrokerRateLimitedError(
                "Kite order rate limit reached on our side (per second/minute/day); "
                "nothing was sent, try again shortly",
                retry_safe=True,
            )

    def close(self) -> None:
        self._limiter.close()
