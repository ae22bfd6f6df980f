"""Where the paper broker gets its last traded prices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol


class PriceSource(Protocol):
    def ltp(self, instruments: Sequence[str]) -> Mapping[str, Decimal]:
        """Last price per ``EXCHANGE:SYMBOL``; keys without a price are left out."""
        ...

    def advance(self) -> None:
        """Move to the next step (a replayable source); live sources do nothing."""
        ...
