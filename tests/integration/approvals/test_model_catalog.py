"""Promotion checks the config's model against OpenRouter's priced catalogue (fake server)."""

from __future__ import annotations

import pytest

from desk.adapters.openrouter.catalog import OpenRouterCatalog
from desk.adapters.research_fakes.openrouter import FakeOpenRouter
from desk.adapters.research_fakes.server import serve_in_thread
from desk.bootstrap import Runtime
from desk.domain.errors import ValidationError
from desk.services import agents, vault
from tests.integration.conftest import People, make_agent
from tests.planted import plant

KEY = plant("sk-or-v1-catalog-check-key")


@pytest.fixture
def store_url(duckdb_url: str) -> str:
    return duckdb_url


def test_unknown_and_tool_less_models_are_refused(runtime: Runtime, people: People) -> None:
    fake = FakeOpenRouter([], api_key=KEY)
    with serve_in_thread(fake.app) as url:
        catalog = OpenRouterCatalog(
            base_url=url + "/api/v1", key_for=lambda uid: vault.reveal_llm_key(runtime, uid)
        )
        agent_id = make_agent(runtime, people, model="fake/no-such-model")
        # No key for the owner yet: the model cannot be checked, so nothing blocks.
        assert catalog.problem("fake/no-such-model", people.owner.user_id or "") is None
        vault.add_llm_credential(runtime, people.owner, api_key=KEY)
        with pytest.raises(ValidationError, match="Unknown OpenRouter model") as info:
            agents.request_promotion(runtime, people.owner, agent_id, 1, catalog=catalog)
        assert "model" in info.value.fields
        v2 = agents.add_config_version(
            runtime, people.owner, agent_id,
            {"model": "fake/no-tools", "system_prompt": "p", "universe": ["NSE:TCS"], "quorum": 2},
        )  # fmt: skip
        with pytest.raises(ValidationError, match="tool calling"):
            agents.request_promotion(runtime, people.owner, agent_id, v2.version, catalog=catalog)
        v3 = agents.add_config_version(
            runtime, people.owner, agent_id,
            {"model": "fake/analyst-1", "system_prompt": "p", "universe": ["NSE:TCS"], "quorum": 2},
        )  # fmt: skip
        request = agents.request_promotion(
            runtime, people.owner, agent_id, v3.version, catalog=catalog
        )
        assert request.state.value == "pending"
