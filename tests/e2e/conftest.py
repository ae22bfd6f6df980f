"""Browser tests: the system Chromium (never a downloaded one) against a real desk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import Dashboard, Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.skip("no system Chromium at /usr/bin/chromium (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    desk = Service(tmp_path_factory.mktemp("desk-e2e"))
    desk.start()
    try:
        yield desk
    finally:
        desk.stop()


@pytest.fixture(scope="session")
def dashboard(service: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    served = Dashboard(service.url, tmp_path_factory.mktemp("panel") / "panel.log")
    served.start()
    try:
        yield served
    finally:
        served.stop()
