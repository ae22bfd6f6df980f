"""Checking a config's ``model`` against the provider's priced catalogue."""

from __future__ import annotations

from typing import Protocol


class ModelCatalog(Protocol):
    def problem(self, model: str, owner_id: str) -> str | None:
        """Why ``model`` cannot be used (unknown, no tool calling), or None when it can — or
        when it cannot be checked (no key for the owner yet: the run will say so)."""
        ...
