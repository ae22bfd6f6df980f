"""The instruments master: one row of Kite's daily ``/instruments`` CSV, and how to read it.

Kite publishes the dump once a day; ``last_price`` in it is not live. Columns:
``instrument_token, exchange_token, tradingsymbol, name, last_price, expiry, strike,
tick_size, lot_size, instrument_type, segment, exchange``.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from desk.domain.errors import ValidationError

INSTRUMENT_COLUMNS: tuple[str, ...] = (
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
)

#: Segments whose rows are reference data (index values), not something one can order.
UNTRADABLE_SEGMENTS = frozenset({"INDICES"})


@dataclass(frozen=True, slots=True)
class Instrument:
    instrument_token: int
    exchange_token: int
    tradingsymbol: str
    name: str
    last_price: Decimal
    expiry: date | None
    strike: Decimal
    tick_size: Decimal
    lot_size: int
    instrument_type: str
    segment: str
    exchange: str

    @property
    def key(self) -> str:
        """``EXCHANGE:TRADINGSYMBOL``, the form Kite uses for quotes."""
        return f"{self.exchange}:{self.tradingsymbol}"

    def untradable_reason(self, today: date) -> str | None:
        """Why this instrument cannot be ordered on ``today`` (IST), or None if it can."""
        if self.segment in UNTRADABLE_SEGMENTS:
            return f"{self.key} is an index ({self.segment}); indices cannot be traded"
        if self.expiry is not None and self.expiry < today:
            return f"{self.key} expired on {self.expiry.isoformat()}"
        if self.lot_size <= 0 or self.tick_size <= 0:
            return f"{self.key} has no lot size or tick size in the instruments master"
        return None


def parse_instruments_csv(text: str) -> list[Instrument]:
    """Parse the instruments CSV; a malformed row raises ValidationError naming its line."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    missing = [c for c in INSTRUMENT_COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            f"instruments CSV is missing column(s): {', '.join(missing)}",
            fields={"instruments": f"missing columns {', '.join(missing)}"},
        )
    out: list[Instrument] = []
    for row in reader:
        line = reader.line_num
        try:
            out.append(_parse_row(row))
        except (ValueError, InvalidOperation, TypeError) as exc:
            raise ValidationError(
                f"instruments CSV line {line}: {exc}",
                fields={"instruments": f"line {line}: {exc}"},
            ) from None
    return out


def _parse_row(row: dict[str, str | None]) -> Instrument:
    def cell(name: str) -> str:
        value = row.get(name)
        if value is None:
            raise ValueError(f"column {name!r} is missing")
        return value.strip()

    symbol = cell("tradingsymbol")
    exchange = cell("exchange")
    if not symbol or not exchange:
        raise ValueError("tradingsymbol and exchange must not be empty")
    return Instrument(
        instrument_token=_int(cell("instrument_token"), "instrument_token"),
        exchange_token=_int(cell("exchange_token"), "exchange_token"),
        tradingsymbol=symbol,
        name=cell("name"),
        last_price=_decimal(cell("last_price"), "last_price"),
        expiry=_expiry(cell("expiry")),
        strike=_decimal(cell("strike"), "strike"),
        tick_size=_decimal(cell("tick_size"), "tick_size"),
        lot_size=_int(cell("lot_size"), "lot_size"),
        instrument_type=cell("instrument_type"),
        segment=cell("segment"),
        exchange=exchange,
    )


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} {raw!r} is not an integer") from None


def _decimal(raw: str, name: str) -> Decimal:
    if raw == "":
        return Decimal(0)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{name} {raw!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{name} {raw!r} is not a finite number")
    return value


def _expiry(raw: str) -> date | None:
    if raw == "":
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"expiry {raw!r} is not a YYYY-MM-DD date") from None


def index_instruments(instruments: Iterable[Instrument]) -> dict[str, Instrument]:
    """Map ``EXCHANGE:TRADINGSYMBOL`` to the instrument (the last row wins on duplicates)."""
    return {i.key: i for i in instruments}


def suggest_symbols(query: str, candidates: Sequence[str], *, limit: int = 3) -> list[str]:
    """ "Did you mean": the closest candidates to ``query`` (case-insensitive), best first.

    Candidates may be bare symbols or ``EXCHANGE:SYMBOL`` keys. Keep the list per exchange:
    difflib is quadratic-ish, fine for thousands of names, slow for the whole 100k dump.
    """
    wanted = query.strip().upper()
    if not wanted:
        return []
    by_upper: dict[str, str] = {}
    for cand in candidates:
        by_upper.setdefault(cand.upper(), cand)
    prefix = [by_upper[u] for u in by_upper if u.startswith(wanted) and u != wanted]
    close = difflib.get_close_matches(wanted, list(by_upper), n=limit, cutoff=0.6)
    ordered: list[str] = []
    for cand in [by_upper[c] for c in close] + sorted(prefix, key=len):
        if cand not in ordered:
            ordered.append(cand)
    return ordered[:limit]
