"""Last traded prices: the caller's Kite session when they have one, else the paper venue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from desk.adapters.quote_source import last_prices
from desk.api.deps import ActorDep, RuntimeDep, ServerDep
from desk.api.schemas.common import ERROR_RESPONSES
from desk.api.schemas.quotes import QuoteOut, QuotesOut

router = APIRouter(prefix="/api/v1/quotes", tags=["market"], responses=ERROR_RESPONSES)

MAX_INSTRUMENTS = 50
_KEY = r"[A-Z]{2,4}:[A-Za-z0-9][A-Za-z0-9&\-_.]{0,49}"
INSTRUMENTS_PATTERN = rf"^{_KEY}(,{_KEY}){{0,{MAX_INSTRUMENTS - 1}}}$"


@router.get("/", response_model=QuotesOut, summary="Last traded prices of instruments")
def quotes(
    runtime: RuntimeDep,
    server: ServerDep,
    actor: ActorDep,
    instruments: Annotated[
        str,
        Query(
            pattern=INSTRUMENTS_PATTERN,
            description=f"Comma list of EXCHANGE:SYMBOL (at most {MAX_INSTRUMENTS}).",
            examples=["NSE:INFY,NSE:TCS"],
        ),
    ],
) -> QuotesOut:
    """From your own Kite session (an active broker credential with a fresh access token),
    otherwise from the paper venue's prices. Instruments without a price come back with
    `ltp: null` and are listed in `missing`."""
    wanted = list(dict.fromkeys(instruments.split(",")))
    found = last_prices(
        runtime, actor, server.paper.broker, wanted, kite_root=runtime.settings.kite_root
    )
    return QuotesOut(
        source=found.source,
        as_of=runtime.clock.now(),
        quotes=[
            QuoteOut(instrument=k, ltp=str(found.prices[k]) if k in found.prices else None)
            for k in wanted
        ],
        missing=[k for k in wanted if k not in found.prices],
    )
