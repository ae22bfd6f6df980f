"""The OpenRouter model catalogue (``/models`` with pricing) as a ``ModelCatalog``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from desk.adapters.openrouter.client import OpenRouterClient
from desk.domain.errors import DeskError
from desk.domain.secret import Secret
from desk.services.ports.llm import LlmModelError


class OpenRouterCatalog:
    def __init__(
        self,
        *,
        base_url: str,
        key_for: Callable[[str], Secret | None],
        referer: str | None = None,
        app_title: str | None = None,
    ) -> None:
        self._base_url = base_url
        self._key_for = key_for
        self._referer = referer
        self._title = app_title

    def problem(self, model: str, owner_id: str) -> str | None:
        key = self._key_for(owner_id)
        if key is None:
            return None

        async def check() -> str | None:
            client = OpenRouterClient(
                key, base_url=self._base_url, referer=self._referer, app_title=self._title,
                max_attempts=2,
            )  # fmt: skip
            try:
                await client.validate_model(model)
            except LlmModelError as exc:
                return exc.message
            except DeskError:
                return None  # the catalogue is unreachable: do not block on it
            finally:
                await client.aclose()
            return None

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="desk-models") as pool:
            return pool.submit(asyncio.run, check()).result()
