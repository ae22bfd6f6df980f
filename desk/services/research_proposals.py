"""Parse the model's final answer into a report and validated trade proposals.

The model ends its answer with a fenced ```json block holding ``{"proposals": [...]}``. The block
is validated with pydantic (LLM JSON is a boundary); every cited URL is matched against the pages
the run actually opened, and unopened ones are flagged rather than trusted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from desk.domain.research import Citation, OpenedPage, ProposalProvenance, Side, TradeIdea

JSON_BLOCK = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL | re.IGNORECASE)

PROPOSAL_INSTRUCTIONS = """\
End your final answer with your report, then at most one fenced ```json block of the form
{"proposals": [{"instrument": "NSE:INFY", "side": "BUY", "quantity": 10, "order_type": "LIMIT",
"price": "1412.50", "product": "CNC", "rationale": "...", "evidence": ["<url you opened>"]}]}
(use an empty list when you propose nothing). order_type is MARKET, LIMIT, SL or SL-M; product is
CNC, MIS or NRML; prices are strings. Cite only URLs you opened with open_webpage."""


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instrument: str = Field(pattern=r"^[A-Z]{2,4}:[A-Z0-9&_.\-]{1,40}$")
    side: Literal["BUY", "SELL"]
    quantity: int = Field(gt=0, le=1_000_000, strict=True)
    order_type: Literal["MARKET", "LIMIT", "SL", "SL-M"] = "LIMIT"
    product: Literal["CNC", "MIS", "NRML"] = "CNC"
    price: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)
    trigger_price: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=2)
    rationale: str = Field(min_length=1, max_length=4000)
    evidence: list[str] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _prices_match_order_type(self) -> ProposalIn:
        if self.order_type in ("LIMIT", "SL") and self.price is None:
            raise ValueError(f"price is required for {self.order_type} orders")
        if self.order_type in ("SL", "SL-M") and self.trigger_price is None:
            raise ValueError(f"trigger_price is required for {self.order_type} orders")
        return self


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proposals: list[ProposalIn] = Field(default_factory=list, max_length=20)


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    report: str
    proposals: tuple[ProposalIn, ...]
    problem: str | None = None


def parse_answer(content: str) -> ParsedAnswer:
    """Split ``content`` into report text and proposals; ``problem`` explains a bad block."""
    match = JSON_BLOCK.search(content)
    if match is None:
        return ParsedAnswer(content.strip(), ())
    report = (content[: match.start()] + content[match.end() :]).strip()
    try:
        raw = json.loads(match.group(1), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        return ParsedAnswer(report, (), f"the JSON block is not valid JSON ({exc.msg})")
    try:
        answer = AnswerIn.model_validate(raw)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        return ParsedAnswer(report, (), f"the proposals do not match the schema: {problems}")
    return ParsedAnswer(report, tuple(answer.proposals))


def cite(url: str, opened: Mapping[str, OpenedPage]) -> Citation:
    page = opened.get(url) or opened.get(url.rstrip("/"))
    if page is None:
        return Citation(url=url, opened=False)
    return Citation(url, True, page.content_sha256, page.fetched_at)


def to_trade_idea(
    proposal: ProposalIn, opened: Mapping[str, OpenedPage], provenance: ProposalProvenance
) -> TradeIdea:
    return TradeIdea(
        instrument=proposal.instrument,
        side=Side(proposal.side),
        quantity=proposal.quantity,
        order_type=proposal.order_type,
        product=proposal.product,
        rationale=proposal.rationale,
        price=proposal.price,
        trigger_price=proposal.trigger_price,
        evidence=tuple(cite(url, opened) for url in proposal.evidence),
        provenance=provenance,
    )
