"""Last traded prices over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class QuoteOut(BaseModel):
    instrument: str = Field(examples=["NSE:INFY"])
    ltp: str | None = Field(
        description="Decimal string; null when the source has no price for it.",
        examples=["1523.45"],
    )


class QuotesOut(BaseModel):
    """One price per asked instrument, in the order asked."""

    source: Literal["paper", "kite"] = Field(
        description="kite: your own Kite session's quotes; paper: the paper venue's prices."
    )
    as_of: datetime
    quotes: list[QuoteOut]
    missing: list[str] = Field(description="Instruments the source has no price for.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "source": "paper",
                    "as_of": "2026-11-25T09:30:00Z",
                    "quotes": [{"instrument": "NSE:INFY", "ltp": "1523.45"}],
                    "missing": [],
                }
            ]
        }
    )
