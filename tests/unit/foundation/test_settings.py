"""Settings: defaults, seed names, .env, invalid values, and documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desk.domain.errors import ConfigurationError
from desk.settings import DeskSettings, load_settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("DESK_") or name in ENV_NAMES:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def env_names() -> dict[str, str]:
    names = {}
    for field, info in DeskSettings.model_fields.items():
        alias = info.validation_alias
        names[field] = alias.choices[0] if alias is not None else f"DESK_{field.upper()}"  # type: ignore[union-attr]
    return names


ENV_NAMES = set(env_names().values())


def test_defaults_need_nothing() -> None:
    s = load_settings()
    assert s.effective_database_url == "duckdb:///.desk/desk.duckdb"
    assert s.agent_analysis_async_default is True
    assert s.secret_keys is None and s.port == 8000


def test_seed_names_are_read_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("AGENT_ANALYSIS_ASYNC_DEFAULT", "false")
    monkeypatch.setenv("SERPER_API_KEY", "zz-serper-secret-zz")
    monkeypatch.setenv("OPENROUTER_APP_TITLE", "My Desk")
    monkeypatch.setenv("DESK_DATABASE_URL", "postgresql://u:p@h/db")
    s = load_settings()
    assert s.telegram_bot_token is not None and s.telegram_bot_token.get_secret_value() == "123:abc"
    assert s.agent_analysis_async_default is False
    assert s.openrouter_app_title == "My Desk"
    assert s.database_url == "postgresql+psycopg://u:p@h/db"
    assert "123:abc" not in repr(s) and "zz-serper-secret-zz" not in repr(s)


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DESK_PORT=9001\nGOOGLE_CSE_ENGINE_ID=cx1\n")
    s = load_settings()
    assert s.port == 9001 and s.google_cse_engine_id == "cx1"


def test_init_kwargs_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_PORT", "9001")
    assert load_settings(port=9002).port == 9002


@pytest.mark.parametrize(
    ("name", "value", "mention"),
    [
        ("DESK_PORT", "eighty", "DESK_PORT"),
        ("DESK_PORT", "70000", "DESK_PORT"),
        ("DESK_DATABASE_URL", "mysql://x", "DESK_DATABASE_URL"),
        ("DESK_LOG_LEVEL", "LOUD", "DESK_LOG_LEVEL"),
        ("AGENT_ANALYSIS_ASYNC_DEFAULT", "maybe", "AGENT_ANALYSIS_ASYNC_DEFAULT"),
        ("DESK_KITE_ORDERS_PER_SECOND", "11", "DESK_KITE_ORDERS_PER_SECOND"),
        ("DESK_KITE_MARKET_PROTECTION", "0", "Kite rejects 0"),
        ("DESK_PAPER_MAX_FILL_QUANTITY", "0", "DESK_PAPER_MAX_FILL_QUANTITY"),
    ],
)
def test_invalid_settings_are_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, mention: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert mention in info.value.message and "\n" not in info.value.message


def test_every_setting_is_documented_in_env_example_and_readme() -> None:
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    expected = set(env_names().values())
    assert expected - documented == set(), "missing from .env.example"
    assert documented - expected == set(), ".env.example documents unknown variables"
    missing_readme = {n for n in expected if f"`{n}`" not in readme}
    assert missing_readme == set(), "missing from the README configuration table"
