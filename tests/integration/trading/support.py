"""Shared set-up of the trading integration tests: a paper venue on the store's books, an
agent trading on paper, and a proposal taken to ``approved``."""

from __future__ import annotations

from typing import Any

from desk.adapters.paper.prices import ManualPriceSource
from desk.adapters.store.per_call import execution_repository, paper_ledger
from desk.adapters.trading_venue import DEFAULT_PAPER_CASH_PAISE, Venue, paper_venue
from desk.bootstrap import Runtime
from desk.demo_data import INSTRUMENTS_CSV
from desk.domain.instruments import parse_instruments_csv
from desk.services import approvals, proposals
from tests.integration.conftest import ROOT, People, make_agent, promote_to_paper


def store_paper_venue(runtime: Runtime, prices: ManualPriceSource, **options: Any) -> Venue:
    """The paper broker over the store's books (one transaction per call), funded."""
    ledger = paper_ledger(runtime.db)
    ledger.deposit(DEFAULT_PAPER_CASH_PAISE)
    return paper_venue(
        instruments=parse_instruments_csv(INSTRUMENTS_CSV.read_text()), ledger=ledger,
        repo=execution_repository(runtime.db), clock=runtime.clock, ids=runtime.ids,
        prices=prices, **options,
    )  # fmt: skip


def paper_agent(runtime: Runtime, people: People) -> str:
    """Instruments loaded, and an agent promoted to paper (quorum 2)."""
    proposals.load_instruments(runtime, ROOT, INSTRUMENTS_CSV.read_text())
    agent = make_agent(runtime, people)
    promote_to_paper(runtime, people, agent)
    return agent


def approve(rt: Runtime, p: People, request_id: str) -> None:
    approvals.decide(rt, p.a1, request_id, "approve")
    approvals.decide(rt, p.a2, request_id, "approve")


def approved_request(runtime: Runtime, people: People, venue: Venue, proposal: Any) -> str:
    """A new paper agent's ``proposal``, submitted and approved by two approvers."""
    agent = paper_agent(runtime, people)
    outcome = proposals.submit_proposal(runtime, venue.market, people.owner, agent, proposal)
    request_id = outcome.request_id or ""
    approve(runtime, people, request_id)
    return request_id
