"""Proposals, orders and paper positions over HTTP."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from desk.api.schemas.approvals import OrderStatusOut
from desk.api.schemas.common import NoNulls
from desk.domain.broker import Position
from desk.domain.proposals import ProposalRecord
from desk.services.order_book import OrderView

PRICE_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,4})?$"
Price = Annotated[str, StringConstraints(pattern=PRICE_PATTERN)] | SkipJsonSchema[None]


class ProposalCreate(NoNulls):
    agent_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    exchange: Literal["NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"]
    tradingsymbol: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9&\-_.]{0,49}$", examples=["INFY"])
    transaction_type: Literal["BUY", "SELL"]
    quantity: int = Field(ge=1, le=10_000_000)
    order_type: Literal["MARKET", "LIMIT", "SL", "SL-M"]
    product: Literal["CNC", "MIS", "NRML"]
    price: Price = Field(default=None, description="Decimal string.")
    trigger_price: Price = None
    validity: Literal["DAY", "IOC"] = "DAY"
    variety: Literal["regular", "amo"] = "regular"
    rationale: str = Field(min_length=1, max_length=4000, pattern=r"^(?s:.)*\S(?s:.)*$")
    evidence: list[str] = Field(default_factory=list, max_length=50)

    model_config = ConfigDict(
        str_strip_whitespace=False,
        json_schema_extra={
            "examples": [
                {
                    "agent_id": "6f1d0c6e2b8a4f0e9d3c5b7a1e2f4d6c", "exchange": "NSE",
                    "tradingsymbol": "INFY", "transaction_type": "BUY", "quantity": 5,
                    "order_type": "LIMIT", "price": "1500.50", "product": "CNC",
                    "rationale": "Results beat estimates; guidance raised.",
                    "evidence": ["https://example.com/infy-q2"],
                }
            ]
        },
    )  # fmt: skip

    def order_fields(self) -> dict[str, Any]:
        return self.model_dump(exclude={"agent_id"})


class CheckOut(BaseModel):
    name: str
    passed: bool
    message: str


class ProposalOut(BaseModel):
    id: str
    agent_id: str
    run_id: str | None
    proposer_id: str
    status: Literal["blocked", "submitted"]
    instrument: str
    side: str
    quantity: int
    value_paise: int | None
    ltp_at_creation: str | None
    proposal: dict[str, Any]
    risk: list[CheckOut] = Field(description="Every pre-trade check, passed or not.")
    failed_checks: list[str]
    request_id: str | None = Field(description="The trade approval request (when it passed).")
    created_at: datetime

    @classmethod
    def of(cls, p: ProposalRecord) -> ProposalOut:
        return cls(
            id=p.id, agent_id=p.agent_id, run_id=p.run_id, proposer_id=p.proposer_id,
            status=p.status.value, instrument=p.instrument, side=p.side, quantity=p.quantity,
            value_paise=p.value_paise,
            ltp_at_creation=str(p.ltp_at_creation) if p.ltp_at_creation is not None else None,
            proposal=dict(p.proposal),
            risk=[CheckOut(name=str(c.get("name")), passed=bool(c.get("passed")),
                           message=str(c.get("message", ""))) for c in p.risk],
            failed_checks=[str(c.get("name")) for c in p.failed_checks],
            request_id=p.request_id, created_at=p.created_at,
        )  # fmt: skip


class OrderOut(BaseModel):
    request_id: str
    agent_id: str
    agent_name: str
    request_state: str
    instrument: str | None
    side: str | None
    quantity: int | None
    order: OrderStatusOut | None = Field(description="null until the order is handed over.")

    @classmethod
    def of(cls, v: OrderView) -> OrderOut:
        return cls(
            request_id=v.request_id, agent_id=v.agent_id, agent_name=v.agent_name,
            request_state=v.request_state, instrument=v.instrument, side=v.side,
            quantity=v.quantity, order=OrderStatusOut.of(v.intent) if v.intent else None,
        )  # fmt: skip


def _rupees(value: Decimal) -> str:
    return str(value)


class PositionOut(BaseModel):
    instrument: str
    product: str
    quantity: int
    average_price: str
    last_price: str
    pnl_paise: int
    realised_paise: int
    unrealised_paise: int

    @classmethod
    def of(cls, p: Position) -> PositionOut:
        return cls(
            instrument=p.key, product=p.product, quantity=p.quantity,
            average_price=_rupees(p.average_price), last_price=_rupees(p.last_price),
            pnl_paise=p.pnl_paise, realised_paise=p.realised_paise,
            unrealised_paise=p.unrealised_paise,
        )  # fmt: skip


class PositionsOut(BaseModel):
    venue: Literal["paper"]
    net: list[PositionOut]
    day: list[PositionOut]
    pnl_paise: int = Field(description="Total P&L of the net positions, in paise.")
    realised_paise: int
    unrealised_paise: int


class PostbackOut(BaseModel):
    action: Literal["applied", "duplicate", "unknown_order", "lost_race"]
    order_id: str
    status: str
