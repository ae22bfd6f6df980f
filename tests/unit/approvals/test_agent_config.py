from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.domain.agent_config import (
    config_from_dict,
    config_to_dict,
    diff_configs,
    parse_agent_config,
)
from desk.domain.agents import Mode, TimeoutPolicy, config_warnings
from desk.domain.errors import ValidationError
from desk.domain.users import Channel
from desk.services.agent_config import validate_cron

TOOLS = ("web_search", "fetch_page", "quote")
BASE: dict[str, Any] = {
    "model": "openai/gpt-4o",
    "system_prompt": "Research.",
    "universe": ["NSE:INFY"],
}


def parse(approvers: int = 2, **data: Any) -> Any:
    return parse_agent_config(
        {**BASE, **data},
        assigned_approvers=approvers,
        allowed_tools=TOOLS,
        cron_validator=validate_cron,
    )


def errors_of(approvers: int = 2, **data: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse(approvers, **data)
    assert caught.value.message.startswith("invalid agent config")
    return caught.value.fields


def test_minimal_config_gets_safe_defaults() -> None:
    config = parse()
    assert config.mode is Mode.PAPER
    assert config.quorum == 1 and config.reject_quorum == 1
    assert config.timeout_policy is TimeoutPolicy.AUTO_REJECT
    assert config.escalation_grace_minutes == 15
    assert not config.allow_self_approval and not config.owner_counts_toward_quorum
    assert config.schedule is None
    assert config_warnings(config) == ()


def test_full_config_is_normalised() -> None:
    config = parse(
        universe=[" nse:nifty 50 ", "NSE:M&M", "NFO:NIFTY26JANFUT"],
        tools=["quote", "web_search"],
        max_cost_usd="2.5",
        schedule="0  9 * * 1-5",
        approval_channels=["telegram", "api"],
        quorum=2,
        timeout_policy="escalate",
        risk_limits={"max_order_value": Decimal("50000.50"), "allow_short": False, "cap": 3},
        mode="live",
    )
    assert config.universe == ("NSE:NIFTY 50", "NSE:M&M", "NFO:NIFTY26JANFUT")
    assert config.max_cost_usd == Decimal("2.5")
    assert config.schedule == "0 9 * * 1-5"
    assert config.approval_channels == (Channel.TELEGRAM, Channel.API)
    assert dict(config.risk_limits) == {
        "allow_short": False,
        "cap": 3,
        "max_order_value": "50000.50",
    }


def test_every_bad_field_is_reported_at_once() -> None:
    fields = errors_of(
        model="",
        universe=["NASDAQ:AAPL", "INFY"],
        tools=["shell"],
        max_steps=0,
        max_tokens=-5,
        max_cost_usd="-1",
        schedule="61 * * * *",
        approval_channels=["email"],
        quorum=3,
        timeout_policy="ignore",
        mode="yolo",
        surprise=1,
    )
    assert set(fields) == {
        "model",
        "universe",
        "tools",
        "max_steps",
        "max_tokens",
        "max_cost_usd",
        "schedule",
        "approval_channels",
        "quorum",
        "timeout_policy",
        "mode",
        "surprise",
    }
    assert "NASDAQ:AAPL" in fields["universe"]
    assert "shell" in fields["tools"]
    assert "email" in fields["approval_channels"]
    assert fields["surprise"] == "unknown field"
    assert "larger than the approver pool of 2" in fields["quorum"]


def test_required_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_agent_config(
            {}, assigned_approvers=1, allowed_tools=(), cron_validator=lambda _: None
        )
    assert caught.value.fields == {
        "model": "required",
        "system_prompt": "required",
        "universe": "required",
    }


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"max_cost_usd": "0"}, "max_cost_usd", "greater than 0"),
        ({"max_cost_usd": "1.00001"}, "max_cost_usd", "4 decimal places"),
        ({"max_cost_usd": "NaN"}, "max_cost_usd", "decimal number"),
        ({"max_cost_usd": True}, "max_cost_usd", "decimal number"),
        ({"max_steps": True}, "max_steps", "integer"),
        ({"max_steps": 2.0}, "max_steps", "integer"),
        ({"approval_channels": []}, "approval_channels", "at least one"),
        ({"approval_channels": ["cli"]}, "approval_channels", "unknown channel"),
        ({"approval_channels": "api"}, "approval_channels", "list of strings"),
        ({"universe": []}, "universe", "at least one"),
        ({"universe": ["NSE:INFY", "nse:infy"]}, "universe", "duplicate"),
        ({"tools": ["quote", "quote"]}, "tools", "duplicate"),
        ({"schedule": "* * * * * *"}, "schedule", "5 fields"),
        ({"schedule": 5}, "schedule", "cron string"),
        ({"reject_quorum": 3}, "reject_quorum", "approver pool"),
        ({"owner_counts_toward_quorum": "yes"}, "owner_counts_toward_quorum", "true or false"),
        ({"risk_limits": {"Bad Key": 1}}, "risk_limits", "bad limit name"),
        ({"risk_limits": {"nested": {"a": 1}}}, "risk_limits", "values must be"),
        ({"risk_limits": []}, "risk_limits", "object"),
        ({"model": "has spaces in it"}, "model", "invalid format"),
        ({"system_prompt": 42}, "system_prompt", "string"),
        ({"approval_timeout_minutes": 0}, "approval_timeout_minutes", "between 1 and"),
        ({"escalation_grace_minutes": 100_000}, "escalation_grace_minutes", "between 1 and"),
    ],
)
def test_field_level_messages(data: dict[str, Any], field: str, fragment: str) -> None:
    fields = errors_of(**data)
    assert fragment in fields[field], fields
    assert set(fields) == {field}


def test_owner_counts_toward_the_pool() -> None:
    assert errors_of(approvers=1, quorum=2)["quorum"].endswith("(1 assigned approver(s))")
    assert parse(approvers=1, quorum=2, owner_counts_toward_quorum=True).quorum == 2


def test_one_person_desk_is_valid_but_warned() -> None:
    config = parse(approvers=0, quorum=1, owner_counts_toward_quorum=True, allow_self_approval=True)
    assert any("separation of duties" in w for w in config_warnings(config))


def test_cron_validator_is_injected() -> None:
    seen: list[str] = []

    def validator(expr: str) -> str | None:
        seen.append(expr)
        return "nope"

    with pytest.raises(ValidationError) as caught:
        parse_agent_config(
            {**BASE, "schedule": "@daily"},
            assigned_approvers=1,
            allowed_tools=(),
            cron_validator=validator,
        )
    assert seen == ["@daily"]
    assert caught.value.fields == {"schedule": "nope"}


def test_round_trip_is_json_safe() -> None:
    config = parse(
        max_cost_usd="3.1400",
        schedule="*/15 9-15 * * 1-5",
        tools=["quote"],
        risk_limits={"max_loss": 1.5, "note": "x", "off": None},
    )
    data = config_to_dict(config)
    assert data["max_cost_usd"] == "3.1400"
    assert data["approval_channels"] == ["dashboard", "api"]
    import json

    assert config_from_dict(json.loads(json.dumps(data))) == config


def test_stored_config_loads_without_context_checks() -> None:
    data = config_to_dict(parse(tools=["quote"], quorum=2))
    data["tools"] = ["retired_tool"]
    assert config_from_dict(data).tools == ("retired_tool",)
    data["quorum"] = "two"
    with pytest.raises(ValidationError, match="malformed") as caught:
        config_from_dict(data)
    assert set(caught.value.fields) == {"quorum"}


def test_diff_lists_changed_fields_in_order() -> None:
    old = parse(quorum=1)
    new = parse(quorum=2, mode="live", max_cost_usd="5")
    changes = diff_configs(old, new)
    assert [(c.field, c.old, c.new) for c in changes] == [
        ("max_cost_usd", "1.00", "5"),
        ("quorum", 1, 2),
        ("mode", "paper", "live"),
    ]
    assert diff_configs(new, new) == []
    assert {c.field for c in diff_configs(None, new)} >= {"model", "quorum", "mode"}


@settings(max_examples=60, deadline=None)
@given(
    quorum=st.integers(1, 4),
    steps=st.integers(1, 1000),
    cost=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10_000), places=4),
    channels=st.lists(st.sampled_from(["dashboard", "telegram", "api"]), min_size=1, unique=True),
    policy=st.sampled_from(["auto_reject", "auto_pause", "escalate"]),
    limits=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        max_size=4,
    ),
)
def test_round_trip_property(
    quorum: int,
    steps: int,
    cost: Decimal,
    channels: list[str],
    policy: str,
    limits: dict[str, Any],
) -> None:
    config = parse(
        approvers=4,
        quorum=quorum,
        max_steps=steps,
        max_cost_usd=cost,
        approval_channels=channels,
        timeout_policy=policy,
        risk_limits=limits,
    )
    again = config_from_dict(config_to_dict(config))
    assert again == config
    assert diff_configs(config, again) == []
