"""Shared shapes: the error body, pages of results, strict request bodies."""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)

T = TypeVar("T")


class ErrorDetail(BaseModel):
    code: str = Field(examples=["validation_error"])
    message: str = Field(examples=["username must be 2-32 characters"])
    fields: dict[str, str] = Field(default_factory=dict, examples=[{"username": "invalid format"}])


class ErrorBody(BaseModel):
    """Every failure, whatever the route: ``{"error": {"code", "message", "fields"}}``."""

    error: ErrorDetail

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "validation_error",
                        "message": "invalid request: username: String should have at most 64 "
                        "characters",
                        "fields": {"username": "String should have at most 64 characters"},
                    }
                }
            ]
        }
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Names and labels: no control characters, at least one visible character.
# Control characters and every Unicode blank, spelt out: regex ``\s`` differs between
# Python, Rust (pydantic) and ECMA (OpenAPI clients), so the schema and the checks agree.
BLANK = r"\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_BLANK = re.compile(f"[{BLANK}]")
LABEL_PATTERN = rf"^[^\x00-\x1f\x7f]*[^{BLANK}][^\x00-\x1f\x7f]*$"
SECRET_PATTERN = rf"^[^{BLANK}]+$"
# Object references in bodies: ids (hex) or usernames.
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


Label = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=LABEL_PATTERN)]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=LABEL_PATTERN)]
Ref = Annotated[str, StringConstraints(pattern=REF_PATTERN)]


def _secret_text(min_length: int) -> AfterValidator:
    def check(value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if not min_length <= len(text) <= MAX_SECRET:
            raise ValueError(f"must be {min_length}-{MAX_SECRET} characters")
        if _BLANK.search(text):
            raise ValueError("must not contain whitespace or control characters")
        return value

    return AfterValidator(check)


MAX_SECRET = 512


def _secret_schema(min_length: int) -> dict[str, JsonValue]:
    return {"minLength": min_length, "maxLength": MAX_SECRET, "pattern": SECRET_PATTERN}


# Write-only secrets without whitespace: broker keys 6-512 characters, LLM keys 8-512.
BrokerSecret = Annotated[SecretStr, Field(json_schema_extra=_secret_schema(6)), _secret_text(6)]
LlmSecret = Annotated[SecretStr, Field(json_schema_extra=_secret_schema(8)), _secret_text(8)]


def whole(value: Any) -> Any:
    """JSON Schema counts ``5.0`` as an integer; so do we (strict mode would refuse it)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Constraints go *before* the validator in ``Annotated`` (after it, pydantic 2 writes
# ``ge``/``le`` instead of ``minimum``/``maximum`` into the JSON schema).
WholeNumber = Annotated[int, BeforeValidator(whole)]


class Strict(BaseModel):
    """Request bodies refuse unknown fields and loose types (``0`` is not ``false``), so typos
    are errors rather than silently ignored. Text may not carry control characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value


class NoNulls(Strict):
    """Optional fields are omitted, never ``null`` (the schema does not allow null)."""

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(str(k) for k, v in data.items() if v is None)
            if nulls:
                raise ValueError(f"omit fields instead of sending null: {', '.join(nulls)}")
        return data


class Patch(Strict):
    """A partial update: give at least one field; ``null`` is not a value (omit the field)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(str(k) for k, v in data.items() if v is None)
            if nulls:
                raise ValueError(f"omit fields instead of sending null: {', '.join(nulls)}")
        return data


class Page(BaseModel, Generic[T]):
    """One page of a list. ``next``/``previous`` are ready-to-follow URLs (or null)."""

    count: int = Field(ge=0, description="Total number of results across all pages.")
    page: int = Field(ge=1, examples=[1])
    page_size: int = Field(ge=1, le=100, examples=[20])
    next: str | None = Field(
        description="URL of the next page, null on the last one.",
        examples=["http://127.0.0.1:8000/api/v1/users/?page=2&page_size=20"],
    )
    previous: str | None = Field(description="URL of the previous page, null on the first one.")
    results: list[T]


ERROR_TEXTS: dict[int, str] = {
    400: "Bad request",
    401: "Missing or invalid API token",
    403: "Not allowed for this user",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "Invalid input (fields say which)",
    500: "Unexpected server error (logged; no details are returned)",
}

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": text} for status, text in ERROR_TEXTS.items()
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """The documented error responses of one route (401/422/500 are always possible)."""
    wanted = {401, 422, 500, *statuses}
    return {s: ERROR_RESPONSES[s] for s in sorted(wanted)}
