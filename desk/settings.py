"""The one settings object. Built in ``main()`` or the app lifespan, never at import.

Desk's own variables start with ``DESK_``; the seed names (``TELEGRAM_BOT_TOKEN``,
``SERPER_API_KEY``, ...) keep their exact names. Every field is documented in
``.env.example`` and in the README (a test checks both).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _seed(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class DeskSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DESK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )

    # --- core -----------------------------------------------------------------------------
    home: Path = Field(
        default=Path(".desk"),
        description="Folder for the embedded database, generated keys and run artifacts.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the store: duckdb:///path/to/file.duckdb or "
            "postgresql+psycopg://user:pass@host/db. Default: a DuckDB file under DESK_HOME."
        ),
    )
    secret_keys: SecretStr | None = Field(
        default=None,
        description=(
            "Comma-separated Fernet keys that encrypt secrets at rest, newest first. "
            "Default: a key generated on first start into DESK_HOME/secret.key."
        ),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level of the structured logs."
    )
    log_format: Literal["console", "json"] = Field(
        default="console", description="Structured log rendering: console or json lines."
    )

    # --- service and client -------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address `desk serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `desk serve` binds.")
    url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of the promotion service used by desk.connect() and the CLI.",
    )
    token: SecretStr | None = Field(
        default=None, description="API token used by desk.connect() and the CLI client commands."
    )

    # --- research -------------------------------------------------------------------------
    agent_analysis_async_default: bool = Field(
        default=True,
        validation_alias=_seed("AGENT_ANALYSIS_ASYNC_DEFAULT"),
        description="Whether POST .../analyze/ runs in the background unless async_mode is given.",
    )
    openrouter_base_url: str = Field(
        default="https://openrouter.ai/api/v1",
        description="Base URL of the OpenRouter API (point it at a fake in tests).",
    )
    openrouter_http_referer: str | None = Field(
        default=None,
        validation_alias=_seed("OPENROUTER_HTTP_REFERER"),
        description="Sent as HTTP-Referer to OpenRouter (app attribution).",
    )
    openrouter_app_title: str = Field(
        default="Desk",
        validation_alias=_seed("OPENROUTER_APP_TITLE"),
        description="Sent as X-Title to OpenRouter (app attribution).",
    )
    serper_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=_seed("SERPER_API_KEY"),
        description="Serper.dev key for the google_search tool (primary provider).",
    )
    serper_base_url: str = Field(
        default="https://google.serper.dev", description="Base URL of the Serper API."
    )
    google_cse_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=_seed("GOOGLE_CSE_API_KEY"),
        description="Google Custom Search JSON API key (fallback search provider).",
    )
    google_cse_base_url: str = Field(
        default="https://www.googleapis.com/customsearch/v1",
        description="Google Custom Search JSON API endpoint (point it at a fake in tests).",
    )
    allow_private_urls: bool = Field(
        default=False,
        description="Let open_webpage fetch private/loopback addresses (local fakes only).",
    )
    runner: Literal["inprocess", "prefect"] = Field(
        default="inprocess",
        description="Where analysis runs execute: in the service, or on a Prefect work pool.",
    )
    runner_concurrency: int = Field(
        default=4, ge=1, le=64, description="How many analysis runs execute at once in-process."
    )
    paper_max_fill_quantity: int | None = Field(
        default=None,
        ge=1,
        description="Paper broker: at most this many units fill per price match (in whole lots), "
        "so LIMIT orders fill partially; unset fills whole orders.",
    )
    google_cse_engine_id: str | None = Field(
        default=None,
        validation_alias=_seed("GOOGLE_CSE_ENGINE_ID"),
        description="Google Programmable Search Engine id (cx) for the fallback provider.",
    )

    # --- broker ---------------------------------------------------------------------------
    kite_root: str = Field(
        default="https://api.kite.trade",
        description="Kite Connect API root (point it at the fake Kite server in tests).",
    )
    kite_orders_per_second: int = Field(
        default=10,
        ge=1,
        le=10,
        description="Order calls per second per Kite account (10 is the exchange's retail-algo "
        "threshold and Kite's limit).",
    )
    kite_orders_per_minute: int = Field(
        default=200, ge=1, description="Order calls per minute per Kite account (Kite: 200)."
    )
    kite_orders_per_day: int = Field(
        default=3000, ge=1, description="Order calls per day per Kite account (Kite: 3,000)."
    )
    kite_market_protection: int = Field(
        default=-1,
        ge=-1,
        le=100,
        description="market_protection sent with MARKET and SL-M orders: -1 automatic, or a "
        "percentage 1-100 (Kite rejects 0 for API orders).",
    )

    # --- telegram -------------------------------------------------------------------------
    telegram_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=_seed("TELEGRAM_BOT_TOKEN"),
        description="Bot token from @BotFather; enables Telegram approvals.",
    )
    telegram_api_base: str = Field(
        default="https://api.telegram.org/bot",
        description="Telegram Bot API base URL (point it at the fake Bot API in tests).",
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_seed("TELEGRAM_WEBHOOK_SECRET"),
        description="Path secret and X-Telegram-Bot-Api-Secret-Token of the Telegram webhook.",
    )

    @field_validator("kite_market_protection")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("Kite rejects 0 for API orders: use -1 (automatic) or 1-100")
        return value

    @field_validator("paper_max_fill_quantity", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("duckdb:///", "postgresql+psycopg://", "postgresql://")):
            raise ValueError(
                "must start with duckdb:/// or postgresql+psycopg:// "
                "(e.g. duckdb:///.desk/desk.duckdb)"
            )
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"duckdb:///{self.home / 'desk.duckdb'}"

    @property
    def secret_key_file(self) -> Path:
        return self.home / "secret.key"


def load_settings(**overrides: object) -> DeskSettings:
    """Read settings from the environment and ``.env``; keyword overrides win."""
    from pydantic import ValidationError as PydanticValidationError

    from desk.domain.errors import ConfigurationError

    try:
        return DeskSettings(**overrides)  # type: ignore[arg-type]
    except PydanticValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"{_env_name(loc)}: {err['msg']}")
        raise ConfigurationError("invalid settings: " + "; ".join(problems)) from None


def _env_name(field: str) -> str:
    info = DeskSettings.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, AliasChoices):
        first = info.validation_alias.choices[0]
        return str(first)
    if info is not None:
        return "DESK_" + field.upper()
    return field
