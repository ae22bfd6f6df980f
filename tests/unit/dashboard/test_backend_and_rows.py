"""The HTTP adapter against an httpx fake transport, the row formatting and the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from desk.cli.dashboard_cmd import dashboard_command
from desk.dashboard.backend import DashboardError, HttpDashboardApi
from desk.dashboard.fake import T0, trade_request
from desk.dashboard.rows import (
    config_diff,
    drift,
    duration,
    evidence_links,
    queue_row,
    rupees,
    token_warning,
)

Seen = list[httpx.Request]


def api_with(handler: httpx.MockTransport) -> HttpDashboardApi:
    return HttpDashboardApi("http://desk.test/", "desk_secret", transport=handler)


def test_every_call_acts_as_the_user_through_the_dashboard_channel() -> None:
    seen: Seen = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"outcome": "recorded", "request": {}})

    api_with(httpx.MockTransport(handle)).decide("r1", "reject", "too big")
    [sent] = seen
    assert sent.url == "http://desk.test/api/v1/approval-requests/r1/decide/"
    assert sent.headers["Authorization"] == "Bearer desk_secret"
    assert sent.headers["X-Desk-Channel"] == "dashboard"
    assert sent.headers["Idempotency-Key"].startswith("dashboard-")
    assert json.loads(sent.content) == {"decision": "reject", "reason": "too big"}


def test_pages_are_unwrapped_and_empty_filters_dropped() -> None:
    seen: Seen = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"count": 1, "results": [{"id": "x"}]})

    found = api_with(httpx.MockTransport(handle)).list_requests(state="pending", agent=None)
    assert found == [{"id": "x"}]
    assert dict(seen[0].url.params) == {"state": "pending", "page": "1", "page_size": "100"}


def test_the_error_shape_becomes_a_readable_error() -> None:
    body = {
        "error": {
            "code": "validation_error",
            "message": "a rejection needs a reason",
            "fields": {"reason": "required"},
        }
    }
    api = api_with(httpx.MockTransport(lambda _r: httpx.Response(422, json=body)))
    with pytest.raises(DashboardError) as caught:
        api.decide("r1", "reject", None)
    assert caught.value.describe() == "a rejection needs a reason (reason: required)"
    assert caught.value.code == "validation_error"


def test_odd_answers_and_network_failures_never_leak_tracebacks() -> None:
    html = api_with(httpx.MockTransport(lambda _r: httpx.Response(502, text="<html>bad")))
    with pytest.raises(DashboardError, match="502 Bad Gateway"):
        html.me()

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(DashboardError, match="could not be reached"):
        api_with(httpx.MockTransport(down)).queue()


def test_rows_money_durations_and_drift() -> None:
    assert rupees(150_120) == "₹1,501.20" and rupees(None) == "-"
    assert (
        duration(timedelta(hours=26)) == "1d 02h" and duration(timedelta(seconds=-1)) == "expired"
    )
    assert drift("100.00", "101.255") == "+1.26%" and drift(None, "1") == "-"
    row = queue_row(trade_request("r1"), T0 - timedelta(minutes=5))  # clocks may disagree
    assert row["age"] == "0s" and row["quorum"] == "0 of 2"


def test_config_diff_and_evidence_links() -> None:
    diff = config_diff({"quorum": 2}, {"quorum": 3}, "v1", "v2")
    assert '-  "quorum": 2' in diff and '+  "quorum": 3' in diff
    assert config_diff({"a": 1}, {"a": 1}, "v1", "v2") == "(no changes)"
    links = evidence_links(["https://a", {"url": "https://b", "title": "B"}, {"x": 1}])
    assert links == [("https://a", "https://a"), ("B", "https://b")]


def test_kite_token_warnings() -> None:
    now = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    soon = {"label": "kite", "access_token_expires_at": (now + timedelta(minutes=90)).isoformat()}
    assert token_warning(soon, now) == "kite: the Kite access token expires in 1h 30m"
    assert "has expired" in (token_warning({**soon, "token_status": "expired"}, now) or "")
    assert "no Kite access token" in (token_warning({"token_status": "missing"}, now) or "")
    later = {
        "token_status": "valid",
        "access_token_expires_at": (now + timedelta(hours=9)).isoformat(),
    }
    assert token_warning(later, now) is None


def test_the_dashboard_command_line() -> None:
    args = dashboard_command(host="127.0.0.1", port=5123, origins=[])
    assert args[1:5] == [
        "-m",
        "panel",
        "serve",
        str(Path(__file__).resolve().parents[3] / "dashboards" / "app.py"),
    ]
    assert args[5:9] == ["--address", "127.0.0.1", "--port", "5123"]
    assert args[-1] == "--allow-websocket-origin=127.0.0.1:5123"
    assert args[args.index("--setup") + 1].endswith("dashboards/warmup.py")
    proxied = dashboard_command(host="127.0.0.1", port=5006, origins=["desk.example:443"])
    assert proxied[-1] == "--allow-websocket-origin=desk.example:443"


def test_desk_dashboard_is_a_typer_command() -> None:
    import typer
    from typer.testing import CliRunner

    from desk.cli import dashboard_cmd

    app = typer.Typer()
    dashboard_cmd.register(app)
    app.command("noop")(lambda: None)  # two commands, so "dashboard" is a subcommand
    result = CliRunner().invoke(app, ["dashboard", "--help"])
    assert result.exit_code == 0
    assert "--origin" in result.output and "--port" in result.output
