from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from desk.domain.errors import ValidationError
from desk.domain.instruments import Instrument, parse_instruments_csv, suggest_symbols

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "kite-mocks"
HEADER = (
    "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,"
    "tick_size,lot_size,instrument_type,segment,exchange\n"
)


def test_fixture_rows_parse_with_exact_decimals(instruments: dict[str, Instrument]) -> None:
    infy = instruments["NSE:INFY"]
    assert infy.instrument_token == 408065
    assert infy.tick_size == Decimal("0.1")
    assert infy.lot_size == 1
    assert infy.expiry is None
    fut = instruments["NFO:NIFTY26DECFUT"]
    assert (fut.lot_size, fut.expiry, fut.segment) == (75, date(2026, 12, 29), "NFO-FUT")
    assert len(instruments) == 22


def test_untradable_reasons(instruments: dict[str, Instrument]) -> None:
    today = date(2026, 1, 5)
    assert instruments["NSE:INFY"].untradable_reason(today) is None
    assert "index" in (instruments["NSE:NIFTY 50"].untradable_reason(today) or "")
    assert "expired" in (instruments["NFO:NIFTY25DECFUT"].untradable_reason(today) or "")


def test_malformed_row_names_its_line() -> None:
    text = HEADER + "408065,1594,INFY,INFOSYS,1500.0,,0.0,0.1,1,EQ,NSE,NSE\n"
    text += "x,1,TCS,TCS,1.0,,0.0,0.1,1,EQ,NSE,NSE\n"
    with pytest.raises(ValidationError) as err:
        parse_instruments_csv(text)
    assert "line 3" in str(err.value)
    assert "instrument_token" in err.value.fields["instruments"]


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("1,1,TCS,TCS,abc,,0.0,0.1,1,EQ,NSE,NSE", "last_price"),
        ("1,1,TCS,TCS,1,2026-13-01,0.0,0.1,1,EQ,NSE,NSE", "expiry"),
        ("1,1,TCS,TCS,1,,0.0,0.1,1.5,EQ,NSE,NSE", "lot_size"),
        ("1,1,,TCS,1,,0.0,0.1,1,EQ,NSE,NSE", "tradingsymbol"),
        ("1,1,TCS,TCS,1,,0.0,0.1", "missing"),
    ],
)
def test_bad_cells_are_reported(row: str, needle: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_instruments_csv(HEADER + row + "\n")
    assert needle in str(err.value)
    assert "line 2" in str(err.value)


def test_missing_column_is_reported() -> None:
    with pytest.raises(ValidationError, match="lot_size"):
        parse_instruments_csv("instrument_token,tradingsymbol\n1,INFY\n")


def test_suggestions() -> None:
    names = ["INFY", "RELIANCE", "TCS", "HDFCBANK", "SBIN", "ICICIBANK"]
    assert suggest_symbols("INFI", names)[0] == "INFY"
    assert suggest_symbols("reliance", names)[0] == "RELIANCE"
    assert "HDFCBANK" in suggest_symbols("HDFC", names)
    assert suggest_symbols("ZZZZZZ", names) == []
    assert suggest_symbols("", names) == []


def test_real_kite_instruments_dump_parses() -> None:
    path = SHARED / "instruments_all.csv"
    if not path.exists():
        pytest.skip(f"shared kite-mocks not found at {path}")
    rows = parse_instruments_csv(path.read_text(encoding="utf-8"))
    assert len(rows) == 99
    assert {r.exchange for r in rows} == {"NSE", "BSE", "NFO"}
    assert all(r.tick_size > 0 for r in rows)
