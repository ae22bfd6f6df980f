"""Price sources for the paper broker: a replayable seeded walk, a manual one, a broker's LTP."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from desk.domain.instruments import Instrument
from desk.services.ports.broker import Broker

DEFAULT_TICK = Decimal("0.05")


def snap(price: Decimal, tick: Decimal) -> Decimal:
    """``price`` on the tick grid (nearest, half up), at least one tick."""
    ticks = (price / tick).to_integral_value(rounding=ROUND_HALF_UP)
    return max(ticks, Decimal(1)) * tick


class SeededPriceSource:
    """A deterministic random walk on the tick grid: the price of ``key`` at ``step`` depends
    only on ``(seed, key, step)`` and the base price, so a run replays exactly.

    Each step moves by a whole number of ticks in ``[-k, k]``, ``k`` ≈ ``step_bps`` of the
    base price (at least one tick); prices never go below one tick.
    """

    def __init__(
        self,
        seed: int | str,
        base_prices: Mapping[str, Decimal],
        *,
        tick_sizes: Mapping[str, Decimal] | None = None,
        step_bps: int = 20,
    ) -> None:
        self._seed = str(seed)
        self._ticks = {k: (tick_sizes or {}).get(k) or DEFAULT_TICK for k in base_prices}
        self._paths = {k: [snap(Decimal(p), self._ticks[k])] for k, p in base_prices.items()}
        self._reach = {
            k: max(1, int(Decimal(p) * step_bps / 10_000 / self._ticks[k]))
            for k, p in base_prices.items()
        }
        self._step = 0
        self._lock = threading.Lock()

    @classmethod
    def from_instruments(
        cls, seed: int | str, instruments: Iterable[Instrument], *, step_bps: int = 20
    ) -> SeededPriceSource:
        rows = [i for i in instruments if i.last_price > 0 and i.tick_size > 0]
        return cls(
            seed,
            {i.key: i.last_price for i in rows},
            tick_sizes={i.key: i.tick_size for i in rows},
            step_bps=step_bps,
        )

    @property
    def step(self) -> int:
        return self._step

    def advance(self, steps: int = 1) -> None:
        with self._lock:
            self._step += steps

    def price_at(self, key: str, step: int) -> Decimal:
        with self._lock:
            path = self._paths[key]
            while len(path) <= step:
                path.append(self._next(key, len(path), path[-1]))
            return path[step]

    def _next(self, key: str, step: int, price: Decimal) -> Decimal:
        digest = hashlib.sha256(f"{self._seed}:{key}:{step}".encode()).digest()
        reach = self._reach[key]
        move = int.from_bytes(digest[:8], "big") % (2 * reach + 1) - reach
        tick = self._ticks[key]
        return max(price + move * tick, tick)

    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        step = self._step
        return {k: self.price_at(k, step) for k in instruments if k in self._paths}


class ManualPriceSource:
    """Prices set by hand (tests, demos); ``advance`` does nothing."""

    def __init__(self, prices: Mapping[str, Decimal] | None = None) -> None:
        self._prices = dict(prices or {})
        self._lock = threading.Lock()

    def set(self, key: str, price: Decimal) -> None:
        with self._lock:
            self._prices[key] = price

    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        with self._lock:
            return {k: self._prices[k] for k in instruments if k in self._prices}

    def advance(self) -> None:
        return None


class BrokerPriceSource:
    """Live LTPs from another broker (Kite quotes when a credential exists)."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker

    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        return self._broker.ltp(instruments)

    def advance(self) -> None:
        return None
