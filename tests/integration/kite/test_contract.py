"""The fake's responses have the shapes of the real Kite responses in ../shared/kite-mocks.

Keys: every key present in all real samples must be in the fake's answer, and the fake may
only add keys that some real sample has. Types: JSON kinds must agree (int/float are both
"number"; a real null is compatible with anything, a fake null only where Kite sends null).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from desk.adapters.kite.fake_server import RunningFakeKite

from .conftest import ACCESS_TOKEN, API_KEY

MOCKS = Path(__file__).resolve().parents[3] / ".." / "shared" / "kite-mocks"
pytestmark = pytest.mark.skipif(
    not (MOCKS / "orders.json").exists(),
    reason=f"real Kite responses not found at {MOCKS} (read in place, never copied)",
)
AUTH = {"Authorization": f"token {API_KEY}:{ACCESS_TOKEN}", "X-Kite-Version": "3"}
ORDER_FORM = {
    "exchange": "NSE",
    "tradingsymbol": "INFY",
    "transaction_type": "BUY",
    "quantity": "1",
    "order_type": "MARKET",
    "product": "CNC",
    "market_protection": "-1",
    "tag": "contract1",
}


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    return "list" if isinstance(value, list) else "dict"


def mismatches(fake: Any, samples: list[Any], path: str = "$") -> list[str]:
    real_kinds = {kind(s) for s in samples}
    fk = kind(fake)
    if real_kinds <= {"null"}:
        return []
    if fk == "null":
        return [] if "null" in real_kinds else [f"{path}: fake null, real {sorted(real_kinds)}"]
    if fk not in real_kinds:
        return [f"{path}: fake {fk}, real {sorted(real_kinds)}"]
    if fk == "dict":
        dicts = [s for s in samples if isinstance(s, dict)]
        required = set.intersection(*(set(d) for d in dicts))
        allowed = set.union(*(set(d) for d in dicts))
        out = [f"{path}: missing key {k!r}" for k in sorted(required - set(fake))]
        out += [f"{path}: unexpected key {k!r}" for k in sorted(set(fake) - allowed)]
        for key in sorted(set(fake) & allowed):
            values = [d[key] for d in dicts if key in d]
            out += mismatches(fake[key], values, f"{path}.{key}")
        return out
    if fk == "list":
        items = [i for s in samples if isinstance(s, list) for i in s]
        if not items:
            return []
        return [m for n, item in enumerate(fake) for m in mismatches(item, items, f"{path}[{n}]")]
    return []


def real(name: str) -> Any:
    return json.loads((MOCKS / name).read_text(encoding="utf-8"))


def call(fk: RunningFakeKite, method: str, path: str, **kw: Any) -> Any:
    headers = kw.pop("headers", AUTH)
    resp = requests.request(method, fk.url + path, headers=headers, timeout=5, **kw)
    assert "application/json" in resp.headers["content-type"]
    return resp.json()


def place(fk: RunningFakeKite) -> str:
    body = call(fk, "POST", "/orders/regular", data=ORDER_FORM)
    return str(body["data"]["order_id"])


def assert_shape(fake: Any, *real_files: str) -> None:
    samples = [real(f) for f in real_files]
    problems = mismatches(fake, samples)
    assert not problems, "\n".join(problems)


def test_envelopes_and_simple_routes(fake_kite: RunningFakeKite) -> None:
    assert_shape(call(fake_kite, "GET", "/user/profile"), "profile.json")
    assert_shape(call(fake_kite, "GET", "/user/margins"), "margins.json")
    equity = call(fake_kite, "GET", "/user/margins/equity")
    assert_shape(equity, "margins_equity.json")
    assert_shape(call(fake_kite, "DELETE", "/session/token"), "session_logout.json")


def test_session_token(fake_kite: RunningFakeKite) -> None:
    from desk.adapters.kite.checksum import login_checksum

    form = {
        "api_key": API_KEY,
        "request_token": "rt",
        "checksum": login_checksum(API_KEY, "rt", "fake_api_secret"),
    }
    body = call(fake_kite, "POST", "/session/token", data=form, headers={})
    assert_shape(body, "generate_session.json")
    bad = call(fake_kite, "POST", "/session/token", data={**form, "checksum": "x"}, headers={})
    assert bad["status"] == "error" and bad["error_type"] == "TokenException"


def test_order_routes(fake_kite: RunningFakeKite) -> None:
    order_id = place(fake_kite)
    assert_shape(call(fake_kite, "POST", "/orders/regular", data=ORDER_FORM), "order_response.json")
    assert_shape(call(fake_kite, "GET", "/orders"), "orders.json")
    history = call(fake_kite, "GET", f"/orders/{order_id}")
    # order_info.json predates some order fields; orders.json supplies the newer ones
    assert_shape(history, "order_info.json", "orders.json")
    assert_shape(call(fake_kite, "GET", f"/orders/{order_id}/trades"), "order_trades.json")
    assert_shape(call(fake_kite, "GET", "/trades"), "trades.json")
    limit = {**ORDER_FORM, "order_type": "LIMIT", "price": "1400", "tag": "c2"}
    resting = call(fake_kite, "POST", "/orders/regular", data=limit)["data"]["order_id"]
    assert_shape(call(fake_kite, "DELETE", f"/orders/regular/{resting}"), "order_cancel.json")


def test_positions_and_postback(fake_kite: RunningFakeKite) -> None:
    order_id = place(fake_kite)
    place(fake_kite)
    call(fake_kite, "POST", "/orders/regular", data={**ORDER_FORM, "transaction_type": "SELL"})
    assert_shape(call(fake_kite, "GET", "/portfolio/positions"), "positions.json")
    assert_shape(fake_kite.state.postback_payload(order_id), "postback.json")


def test_market_data_routes(fake_kite: RunningFakeKite) -> None:
    params = {"i": ["NSE:INFY"]}
    assert_shape(call(fake_kite, "GET", "/quote", params=params), "quote.json")
    assert_shape(call(fake_kite, "GET", "/quote/ltp", params=params), "ltp.json")
    assert_shape(call(fake_kite, "GET", "/quote/ohlc", params=params), "ohlc.json")


def test_order_margins(fake_kite: RunningFakeKite) -> None:
    item = {
        "exchange": "NSE",
        "tradingsymbol": "INFY",
        "transaction_type": "BUY",
        "variety": "regular",
        "product": "CNC",
        "order_type": "MARKET",
        "quantity": 1,
        "price": 0,
        "trigger_price": 0,
    }
    body = call(fake_kite, "POST", "/margins/orders", json=[item])
    assert_shape(body, "order_margins.json")


def test_instruments_csv_header(fake_kite: RunningFakeKite) -> None:
    resp = requests.get(fake_kite.url + "/instruments", headers=AUTH, timeout=5)
    assert resp.headers["content-type"].startswith("text/csv")
    real_header = (MOCKS / "instruments_all.csv").read_text().splitlines()[0]
    assert resp.text.splitlines()[0] == real_header


def test_errors_have_the_kite_error_envelope(fake_kite: RunningFakeKite) -> None:
    body = call(fake_kite, "GET", "/orders", headers={"Authorization": "token x:y"})
    assert set(body) == {"status", "message", "error_type", "data"}
    assert body["status"] == "error" and body["error_type"] == "TokenException"


def test_the_shape_checker_catches_drift() -> None:
    sample = {"a": 1, "b": "x", "c": [{"d": 1.5}]}
    assert mismatches({"a": 2, "b": "y", "c": [{"d": 3}]}, [sample]) == []
    problems = mismatches({"a": "1", "c": [{"d": None, "e": 1}]}, [sample])
    assert any("missing key 'b'" in p for p in problems)
    assert any("$.a: fake str" in p for p in problems)
    assert any("unexpected key 'e'" in p for p in problems)
    assert any("$.c[0].d: fake null" in p for p in problems)
