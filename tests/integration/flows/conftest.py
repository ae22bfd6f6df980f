"""One Prefect test harness (a local ephemeral API) for the whole session, and a demo desk.

Prefect reads its settings from the environment: a temporary PREFECT_HOME and no analytics
are set before anything imports prefect.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="desk-prefect-home-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@dataclass(frozen=True)
class DemoDesk:
    home: Path
    agent_id: str


@pytest.fixture
def demo_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_keys: str) -> DemoDesk:
    """A seeded demo desk at ``tmp_path/home``; DESK_* point at it (flows read the settings)."""
    from desk.notebook import open_desk
    from desk.settings import DeskSettings

    home = tmp_path / "home"
    monkeypatch.setenv("DESK_HOME", str(home))
    monkeypatch.setenv("DESK_SECRET_KEYS", secret_keys)
    monkeypatch.delenv("DESK_DATABASE_URL", raising=False)
    settings = DeskSettings(_env_file=None, home=home, secret_keys=secret_keys)
    with open_desk(settings=settings) as desk:
        assert desk.seed is not None
        return DemoDesk(home, desk.seed.agent_id)
