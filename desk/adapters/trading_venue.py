"""Where approved trades go: the paper broker (default) with its books, or Kite when live.

Builds the ``Executor`` the execution services drive and the ``MarketView`` risk reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from desk.adapters.paper.broker import PaperBroker
from desk.adapters.paper.prices import SeededPriceSource
from desk.domain.agents import Mode, active_version, trading_mode
from desk.domain.broker import Positions
from desk.domain.clock import Clock, IdGen
from desk.domain.errors import ConflictError
from desk.domain.instruments import Instrument
from desk.domain.users import Actor
from desk.services import vault
from desk.services.execution import ExecutionPolicy, Executor
from desk.services.ports.broker import Broker
from desk.services.ports.context import Context
from desk.services.ports.execution import ExecutionRepository, PaperLedger
from desk.services.ports.price_source import PriceSource

DEFAULT_PAPER_CASH_PAISE = 1_000_000_000  # ₹1 crore of paper money


class BrokerMarketView:
    """Implements :class:`desk.services.ports.market_view.MarketView` over any Broker.

    One risk check reads positions twice (exposure, realized P&L); a positions snapshot is
    reused for ``positions_ttl`` seconds so that costs one broker call, not two.
    """

    def __init__(self, broker: Broker, *, live: bool = False, positions_ttl: float = 1.0) -> None:
        self._broker = broker
        self._live = live
        self._ttl = positions_ttl
        self._snapshot: tuple[float, Positions] | None = None
        self._lock = threading.Lock()

    def _positions(self) -> Positions:
        with self._lock:
            now = time.monotonic()
            if self._snapshot is None or now - self._snapshot[0] > self._ttl:
                self._snapshot = (now, self._broker.positions())
            return self._snapshot[1]

    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        return self._broker.ltp(list(instruments))

    def position_quantity(self, exchange: str, tradingsymbol: str, product: str) -> int:
        return sum(
            p.quantity
            for p in self._positions().net
            if (p.exchange, p.tradingsymbol, p.product) == (exchange, tradingsymbol, product)
        )

    def realized_pnl_today_paise(self) -> int:
        return sum(p.realised_paise for p in self._positions().day)

    def available_margin_paise(self) -> int | None:
        if not self._live:
            return None
        equity = self._broker.margins().get("equity")
        return equity.net_paise if equity is not None else None


@dataclass
class Venue:
    broker: Broker
    executor: Executor
    market: BrokerMarketView
    prices: PriceSource | None = None
    paper: PaperBroker | None = None
    live: bool = False

    def replace_with(self, other: Venue) -> None:
        """Take another venue's broker, prices and executor (e.g. after an instruments
        reload), so everyone holding this venue sees the change."""
        self.broker, self.executor, self.market = other.broker, other.executor, other.market
        self.prices, self.paper, self.live = other.prices, other.paper, other.live

    def tick(self) -> None:
        """Paper only: prices take one step and resting orders that are now crossed fill."""
        if self.prices is not None:
            self.prices.advance()
        if self.paper is not None:
            self.paper.tick()


def paper_venue(
    *,
    instruments: Sequence[Instrument],
    ledger: PaperLedger,
    repo: ExecutionRepository,
    clock: Clock,
    ids: IdGen,
    seed: str = "desk",
    policy: ExecutionPolicy | None = None,
    prices: PriceSource | None = None,
) -> Venue:
    """The paper broker over the store's books, priced by a replayable seeded walk (or the
    given price source)."""
    prices = prices or SeededPriceSource.from_instruments(seed, instruments)
    broker = PaperBroker(prices, ledger, clock, ids, instruments={i.key: i for i in instruments})
    executor = Executor(broker, repo, clock, ids, policy=policy or ExecutionPolicy())
    return Venue(broker, executor, BrokerMarketView(broker), prices, paper=broker)


class VenueSelector:
    """Paper for everything, Kite only for a live-promoted ``mode: live`` config whose owner
    has an active broker credential with a fresh access token."""

    def __init__(
        self,
        ctx: Context,
        paper: Venue,
        repo: ExecutionRepository,
        *,
        kite_root: str,
        policy: ExecutionPolicy | None = None,
    ) -> None:
        self._ctx = ctx
        self._paper = paper
        self._repo = repo
        self._root = kite_root
        self._policy = policy or ExecutionPolicy()

    def __call__(self, request_id: str) -> Venue:
        from desk.adapters.kite.broker import KiteBroker

        with self._ctx.uow(write=False) as uow:
            request = uow.approvals.get(request_id)
            version = active_version(uow.agents.versions(request.agent_id)) if request else None
            agent = uow.agents.get(request.agent_id) if request else None
        if version is None or agent is None or trading_mode(version) is not Mode.LIVE:
            return self._paper
        usable = [
            c
            for c in vault.list_broker_credentials(self._ctx, Actor.system(label="executor"))
            if c.user_id == agent.owner_id
            and c.is_active
            and c.token_status in ("valid", "expiring")
        ]
        if not usable:
            raise ConflictError(
                f"agent {agent.name!r} trades live but its owner has no broker credential with "
                "a fresh Kite session; run `desk kite login` first",
                fields={"broker_credential": "missing or expired"},
            )
        secrets = vault.reveal_broker_secrets(self._ctx, usable[0].id)
        assert secrets.access_token is not None
        credential_id = usable[0].id

        def expired() -> None:
            vault.mark_access_token_expired(self._ctx, Actor.system(label="kite"), credential_id)

        broker = KiteBroker(
            secrets.api_key.reveal(), secrets.access_token.reveal(), root=self._root,
            on_token_expired=expired,
        )  # fmt: skip
        executor = Executor(broker, self._repo, self._ctx.clock, self._ctx.ids, policy=self._policy)
        return Venue(broker, executor, BrokerMarketView(broker, live=True), live=True)
