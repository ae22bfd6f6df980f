"""Validation, JSON round-trip and diff of :class:`~desk.domain.agents.AgentConfig` (pure).

Rules
- :func:`parse_agent_config` checks every field and raises one ``ValidationError`` whose
  ``fields`` names *every* bad field. Unknown keys are errors too.
- Context the domain cannot know is passed in: the number of assigned approvers (the pool is
  that plus the owner when ``owner_counts_toward_quorum``; admins never count here, even with
  ``admins_may_decide``, since they may change), the tool names that exist, and a
  cron validator (the real one, on croniter, is ``desk.services.agent_config.validate_cron``).
- :func:`config_to_dict` is JSON-safe (Decimal as a string, enums as values) and
  :func:`config_from_dict` reads it back with the structural checks only, so a stored config
  still loads after a tool is removed or an approver leaves.
- :func:`diff_configs` lists changed fields in declaration order, values in JSON form; it is
  the diff shown with a promotion request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from desk.domain.agents import (
    APPROVAL_CHANNELS,
    AgentConfig,
    Mode,
    RiskValue,
    TimeoutPolicy,
)
from desk.domain.errors import ValidationError
from desk.domain.users import Channel

CronValidator = Callable[[str], str | None]
E = TypeVar("E", bound=StrEnum)

EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX")
_SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9&_.\-]*( [A-Z0-9&_.\-]+)*$")
_MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/\-]{0,199}$")
_RISK_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_COST_PLACES = 4
MAX_QUORUM = 50
MAX_UNIVERSE = 500
MAX_PROMPT_CHARS = 50_000
_FIELD_NAMES = tuple(f.name for f in fields(AgentConfig))
_REQUIRED = ("model", "system_prompt", "universe")
_DEFAULTS = AgentConfig(model="x", system_prompt="x", universe=("NSE:X",))


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: Any
    new: Any


class _Reader:
    """Reads one field at a time, recording the first problem of each field."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def fail(self, name: str, why: str) -> None:
        self.errors.setdefault(name, why)

    def raw(self, name: str) -> Any:
        if name in self.data:
            return self.data[name]
        if name in _REQUIRED:
            self.fail(name, "required")
            return None
        return getattr(_DEFAULTS, name)

    def text(self, name: str, max_len: int, pattern: re.Pattern[str] | None = None) -> str:
        value = self.raw(name)
        if not isinstance(value, str):
            if value is not None:
                self.fail(name, "must be a string")
            return ""
        value = value.strip()
        if not value:
            self.fail(name, "must not be empty")
        elif len(value) > max_len:
            self.fail(name, f"must be at most {max_len} characters")
        elif pattern is not None and not pattern.match(value):
            self.fail(name, "has an invalid format")
        return value

    def integer(self, name: str, low: int, high: int) -> int:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "must be an integer")
            return low
        if not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}")
        return value

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            self.fail(name, "must be true or false")
            return False
        return value

    def choice(self, name: str, enum: type[E], allowed: Collection[E] | None = None) -> E:
        value = self.raw(name)
        options = list(allowed if allowed is not None else enum)
        try:
            member = enum(value)
        except ValueError:
            member = None
        if member is None or member not in options:
            self.fail(name, f"unknown value {value!r}; use one of: {_join(options)}")
            return options[0]
        return member

    def money(self, name: str, high: Decimal) -> Decimal:
        amount = _to_decimal(self.raw(name))
        if amount is None:
            self.fail(name, "must be a decimal number (a string such as '2.50' is safest)")
            return Decimal(0)
        exponent = amount.as_tuple().exponent
        if amount <= 0:
            self.fail(name, "must be greater than 0")
        elif amount > high:
            self.fail(name, f"must be at most {high}")
        elif isinstance(exponent, int) and exponent < -_COST_PLACES:
            self.fail(name, f"must have at most {_COST_PLACES} decimal places")
        return amount

    def strings(
        self, name: str, limit: int, normalise: Callable[[str], str] = str.strip
    ) -> list[str]:
        value = self.raw(name)
        if isinstance(value, str) or not isinstance(value, list | tuple):
            if value is not None:
                self.fail(name, "must be a list of strings")
            return []
        if not all(isinstance(item, str) for item in value):
            self.fail(name, "must be a list of strings")
            return []
        items = [normalise(item) for item in value]
        dupes = sorted({item for item in items if items.count(item) > 1})
        if dupes:
            self.fail(name, f"duplicate entries: {', '.join(dupes)}")
        if len(items) > limit:
            self.fail(name, f"must have at most {limit} entries")
        return items


def _join(options: Collection[object]) -> str:
    return ", ".join(str(o) for o in options)


def _to_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _universe(reader: _Reader) -> tuple[str, ...]:
    items = reader.strings("universe", MAX_UNIVERSE, lambda s: s.strip().upper())
    if "universe" not in reader.errors and not items:
        reader.fail("universe", "must list at least one instrument")
    bad = [item for item in items if not _is_instrument(item)]
    if bad:
        reader.fail(
            "universe",
            f"not EXCHANGE:SYMBOL ({'/'.join(EXCHANGES)}): {', '.join(repr(b) for b in bad[:5])}",
        )
    return tuple(items)


def _is_instrument(item: str) -> bool:
    exchange, sep, symbol = item.partition(":")
    return (
        bool(sep) and exchange in EXCHANGES and len(symbol) <= 50 and bool(_SYMBOL_RE.match(symbol))
    )


def _channels(reader: _Reader) -> tuple[Channel, ...]:
    names = reader.strings("approval_channels", len(APPROVAL_CHANNELS) + 5)
    allowed = {c.value for c in APPROVAL_CHANNELS}
    unknown = [n for n in names if n not in allowed]
    if unknown:
        reader.fail(
            "approval_channels",
            f"unknown channel(s) {', '.join(unknown)}; use any of: {_join(APPROVAL_CHANNELS)}",
        )
    elif not names and "approval_channels" not in reader.errors:
        reader.fail("approval_channels", "must enable at least one channel")
    return tuple(Channel(n) for n in names if n in allowed)


def _schedule(reader: _Reader) -> str | None:
    value = reader.raw("schedule")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        reader.fail("schedule", "must be a cron string or null")
        return None
    return " ".join(value.split())


def _risk_limits(reader: _Reader) -> Mapping[str, RiskValue]:
    value = reader.raw("risk_limits")
    if not isinstance(value, Mapping):
        reader.fail("risk_limits", "must be an object of name → value")
        return {}
    result: dict[str, RiskValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _RISK_KEY_RE.match(key):
            reader.fail("risk_limits", f"bad limit name {key!r} (lowercase, digits, _)")
        elif item is None or isinstance(item, bool | str | int):
            result[key] = item
        elif isinstance(item, float | Decimal) and _to_decimal(item) is not None:
            result[key] = str(_to_decimal(item))
        else:
            reader.fail("risk_limits", f"{key}: values must be strings, numbers, booleans or null")
    return MappingProxyType(dict(sorted(result.items())))


def _read_structure(data: Mapping[str, Any]) -> tuple[AgentConfig, dict[str, str]]:
    reader = _Reader(data)
    for key in data:
        if key not in _FIELD_NAMES:
            reader.fail(str(key), "unknown field")
    config = AgentConfig(
        model=reader.text("model", 200, _MODEL_RE),
        system_prompt=reader.text("system_prompt", MAX_PROMPT_CHARS),
        universe=_universe(reader),
        tools=tuple(reader.strings("tools", 100)),
        max_steps=reader.integer("max_steps", 1, 1_000),
        max_tokens=reader.integer("max_tokens", 1, 10_000_000),
        max_cost_usd=reader.money("max_cost_usd", Decimal(10_000)),
        schedule=_schedule(reader),
        approval_channels=_channels(reader),
        quorum=reader.integer("quorum", 1, MAX_QUORUM),
        owner_counts_toward_quorum=reader.flag("owner_counts_toward_quorum"),
        allow_self_approval=reader.flag("allow_self_approval"),
        reject_quorum=reader.integer("reject_quorum", 1, MAX_QUORUM),
        admins_may_decide=reader.flag("admins_may_decide"),
        approval_timeout_minutes=reader.integer("approval_timeout_minutes", 1, 7 * 24 * 60),
        timeout_policy=reader.choice("timeout_policy", TimeoutPolicy),
        escalation_grace_minutes=reader.integer("escalation_grace_minutes", 1, 24 * 60),
        risk_limits=_risk_limits(reader),
        mode=reader.choice("mode", Mode),
    )
    return config, reader.errors


def parse_agent_config(
    data: Mapping[str, Any],
    *,
    assigned_approvers: int,
    allowed_tools: Collection[str],
    cron_validator: CronValidator,
) -> AgentConfig:
    """Validate ``data`` completely; raise one ValidationError naming every bad field."""
    config, errors = _read_structure(data)
    unknown_tools = [t for t in config.tools if t not in allowed_tools]
    if unknown_tools and "tools" not in errors:
        errors["tools"] = (
            f"unknown tool(s) {', '.join(unknown_tools)}; available: "
            f"{_join(sorted(allowed_tools)) or 'none'}"
        )
    if config.schedule is not None and "schedule" not in errors:
        problem = cron_validator(config.schedule)
        if problem:
            errors["schedule"] = problem
    pool = config.approver_pool_size(assigned_approvers)
    owner = " + the owner" if config.owner_counts_toward_quorum else ""
    for name in ("quorum", "reject_quorum"):
        value = getattr(config, name)
        if name not in errors and value > pool:
            errors[name] = (
                f"{value} is larger than the approver pool of {pool} "
                f"({assigned_approvers} assigned approver(s){owner})"
            )
    if errors:
        summary = "; ".join(f"{k}: {v}" for k, v in errors.items())
        raise ValidationError(f"invalid agent config — {summary}", fields=errors)
    return config


def config_to_dict(config: AgentConfig) -> dict[str, Any]:
    """JSON-safe form: Decimal as string, enums as values, tuples as lists."""
    result: dict[str, Any] = {}
    for name in _FIELD_NAMES:
        value = getattr(config, name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, tuple):
            value = [v.value if isinstance(v, StrEnum) else v for v in value]
        elif isinstance(value, Mapping):
            value = dict(value)
        result[name] = value
    return result


def config_from_dict(data: Mapping[str, Any]) -> AgentConfig:
    """Read a stored config back (structural checks only; see the module docstring)."""
    config, errors = _read_structure(data)
    if errors:
        summary = "; ".join(f"{k}: {v}" for k, v in errors.items())
        raise ValidationError(f"stored agent config is malformed — {summary}", fields=errors)
    return config


def diff_configs(old: AgentConfig | None, new: AgentConfig) -> list[FieldChange]:
    """Changed fields, in declaration order; with no ``old`` every field is a change."""
    before = config_to_dict(old) if old is not None else {}
    after = config_to_dict(new)
    return [
        FieldChange(field=name, old=before.get(name), new=after[name])
        for name in _FIELD_NAMES
        if old is None or before[name] != after[name]
    ]
