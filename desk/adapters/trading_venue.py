"""Where approved trades go: the paper broker (default) with its books, or Kite when live.

Builds the ``Executor`` the execution services drive and the ``MarketView`` risk reads.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desk.adapters.kite.rate_limit import OrderRateLimiter, OrderRateLimits
from desk.adapters.kite_sessions import kite_client, kite_session_of
from desk.adapters.paper.broker import PaperBroker
from desk.adapters.paper.prices import SeededPriceSource
from desk.domain.agents import Mode, active_version, trading_mode
from desk.domain.broker import OrderMargin, Positions, SegmentMargin
from desk.domain.clock import Clock, IdGen
from desk.domain.errors import ConflictError
from desk.domain.instruments import Instrument
from desk.domain.orders import Product, TradeProposal, TransactionType
from desk.services.credential_views import BrokerSecrets
from desk.services.execution import ExecutionPolicy, Executor
from desk.services.ports.broker import Broker
from desk.services.ports.context import Context
from desk.services.ports.execution import ExecutionRepository, PaperLedger
from desk.services.ports.market_view import MarketSnapshot
from desk.services.ports.price_source import PriceSource
from desk.services.trading import order_for

DEFAULT_PAPER_CASH_PAISE = 1_000_000_000  # ₹1 crore of paper money


#: Kite's margin segment per exchange (everything else is ``equity``).
_SEGMENTS = {"MCX": "commodity"}
_READ_POOL_SIZE = 8
_read_pool: ThreadPoolExecutor | None = None
_read_pool_lock = threading.Lock()


def _reads() -> ThreadPoolExecutor:
    """One small pool shared by every market view (views are made per live request)."""
    global _read_pool
    with _read_pool_lock:
        if _read_pool is None:
            _read_pool = ThreadPoolExecutor(_READ_POOL_SIZE, thread_name_prefix="desk-market")
        return _read_pool


class BrokerMarketView:
    """Implements :class:`desk.services.ports.market_view.MarketView` over any Broker.

    Live (Kite): the LTP, positions, account margins and the order's required margin (Kite's
    order-margins API) are four independent reads, issued concurrently on a small shared
    pool — one round trip to the broker instead of four. Take a live snapshot outside any
    writing unit of work: on DuckDB that holds the process-wide write lock, which a pool
    thread (the token-expiry hook writes) could never get. Paper: the LTP and the paper
    books, read on the calling thread (the books are the store itself); the paper broker
    applies its own cash rule when the order is placed.
    """

    def __init__(self, broker: Broker, *, live: bool = False) -> None:
        self._broker = broker
        self._live = live

    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        return self._broker.ltp(list(instruments))

    def snapshot(self, proposal: TradeProposal) -> MarketSnapshot:
        return self.start_snapshot(proposal)()

    def start_snapshot(self, proposal: TradeProposal) -> Callable[[], MarketSnapshot]:
        if not self._live:  # paper: read on the call, on the caller's thread
            return lambda: self._paper_snapshot(proposal)
        pool = _reads()
        ltp = pool.submit(self._broker.ltp, [proposal.instrument_key])
        positions = pool.submit(self._broker.positions)
        margins = pool.submit(self._broker.margins)
        # Selling delivery holdings blocks the holdings, not margin (Kite's RMS checks them):
        # the risk rule needs no margin for it, so nothing to ask Kite.
        sells_holdings = (
            proposal.product is Product.CNC and proposal.transaction_type is TransactionType.SELL
        )
        required = (
            None
            if sells_holdings
            else pool.submit(self._broker.order_margins, [order_for(proposal)])
        )

        def join() -> MarketSnapshot:
            every: list[Future[Any]] = [ltp, positions, margins]
            wait(every + ([required] if required is not None else []))  # none left running
            return _live_snapshot(
                proposal, ltp.result(), positions.result(), margins.result(),
                required.result() if required is not None else None,
            )  # fmt: skip

        return join

    def _paper_snapshot(self, proposal: TradeProposal) -> MarketSnapshot:
        # the paper broker applies its own cash rule when the order is placed
        ltp = self._broker.ltp([proposal.instrument_key]).get(proposal.instrument_key)
        held, realized = _position_figures(self._broker.positions(), proposal)
        return MarketSnapshot(ltp, held, realized)


def _live_snapshot(
    proposal: TradeProposal,
    ltp: Mapping[str, Decimal],
    positions: Positions,
    margins: Mapping[str, SegmentMargin],
    required: Sequence[OrderMargin] | None,
) -> MarketSnapshot:
    held, realized = _position_figures(positions, proposal)
    segment = margins.get(_SEGMENTS.get(proposal.exchange, "equity"))
    return MarketSnapshot(
        ltp=ltp.get(proposal.instrument_key),
        position_quantity=held,
        realized_pnl_today_paise=realized,
        available_margin_paise=segment.net_paise if segment is not None else 0,
        # what Kite blocks for the order plus its charges (debited from the same funds);
        # not asked or no answer: the risk rule decides (CNC sell: none; else the value)
        required_margin_paise=(
            sum(m.total_paise + m.charges_paise for m in required) if required else None
        ),
    )


def _position_figures(positions: Positions, proposal: TradeProposal) -> tuple[int, int]:
    """(net quantity held in the order's symbol and product, realized P&L today)."""
    wanted = (proposal.exchange, proposal.tradingsymbol, proposal.product.value)
    held = sum(
        p.quantity for p in positions.net if (p.exchange, p.tradingsymbol, p.product) == wanted
    )
    return held, sum(p.realised_paise for p in positions.day)


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
    max_fill_quantity: int | None = None,
) -> Venue:
    """The paper broker over the store's books, priced by a replayable seeded walk (or the
    given price source); ``max_fill_quantity`` makes crossed LIMIT orders fill in parts."""
    prices = prices or SeededPriceSource.from_instruments(seed, instruments)
    broker = PaperBroker(
        prices, ledger, clock, ids, instruments={i.key: i for i in instruments},
        max_fill_quantity=max_fill_quantity,
    )  # fmt: skip
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
        rate_limits: OrderRateLimits | None = None,
        market_protection: int = -1,
    ) -> None:
        self._ctx = ctx
        self._paper = paper
        self._repo = repo
        self._root = kite_root
        self._policy = policy or ExecutionPolicy()
        self._rate_limits = rate_limits or OrderRateLimits()
        self._market_protection = market_protection
        self._lock = threading.Lock()
        # One order budget per Kite account (api key), shared by every request and every
        # access token of it; one live venue per credential while its access token lasts.
        self._limiters: dict[str, OrderRateLimiter] = {}
        self._live: dict[str, tuple[str, Venue]] = {}

    def __call__(self, request_id: str) -> Venue:
        with self._ctx.uow(write=False) as uow:
            request = uow.approvals.get(request_id)
            version = active_version(uow.agents.versions(request.agent_id)) if request else None
            agent = uow.agents.get(request.agent_id) if request else None
        if version is None or agent is None or trading_mode(version) is not Mode.LIVE:
            return self._paper
        session = kite_session_of(self._ctx, agent.owner_id)
        if session is None:
            raise ConflictError(
                f"agent {agent.name!r} trades live but its owner has no broker credential with "
                "a fresh Kite session; run `desk kite login` first",
                fields={"broker_credential": "missing or expired"},
            )
        return self._live_venue(session)

    def _live_venue(self, session: BrokerSecrets) -> Venue:
        assert session.access_token is not None
        api_key = session.api_key.reveal()
        token = hashlib.sha256(session.access_token.reveal().encode()).hexdigest()
        with self._lock:
            cached = self._live.get(session.credential_id)
            if cached is not None and cached[0] == token:
                return cached[1]
            limiter = self._limiters.get(api_key)
            if limiter is None:
                limiter = self._limiters[api_key] = OrderRateLimiter(self._rate_limits)
            broker = kite_client(
                self._ctx, session, root=self._root, limiter=limiter,
                market_protection=self._market_protection,
            )  # fmt: skip
            executor = Executor(
                broker, self._repo, self._ctx.clock, self._ctx.ids, policy=self._policy
            )
            venue = Venue(broker, executor, BrokerMarketView(broker, live=True), live=True)
            # A replaced session's venue is left to finish what it is doing (not closed here).
            self._live[session.credential_id] = (token, venue)
            return venue
