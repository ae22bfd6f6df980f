"""`desk telegram set-webhook` and `desk telegram status` through the real library."""

from __future__ import annotations

import contextlib

import pytest

from desk.adapters.telegram.fake_bot_api import RunningFakeBotApi
from desk.cli.main import main

from .conftest import SECRET


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = 0
    with contextlib.suppress(SystemExit):
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
            raise
    out, err = capsys.readouterr()
    return code, out + err


def test_set_webhook_and_status(
    fake_api: RunningFakeBotApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake_api.fake.token)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("DESK_TELEGRAM_API_BASE", fake_api.base_url)
    code, out = run(capsys, "telegram", "set-webhook", "https://desk.example.com/")
    assert code == 0 and "webhook set" in out
    [call] = fake_api.fake.calls_to("setWebhook")
    assert call.params["url"] == f"https://desk.example.com/api/v1/telegram/webhook/{SECRET}/"
    assert call.params["secret_token"] == SECRET
    code, out = run(capsys, "telegram", "status")
    assert code == 0 and "/webhook/[secret]/" in out and SECRET not in out
    code, out = run(capsys, "telegram", "set-webhook", "http://plain.example.com")
    assert code == 2 and "https" in out


def test_unconfigured_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    code, out = run(capsys, "telegram", "status")
    assert code == 78 and "TELEGRAM_BOT_TOKEN" in out
