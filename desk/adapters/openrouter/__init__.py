"""OpenRouter (OpenAI-compatible chat completions) adapter."""

from desk.adapters.openrouter.client import OpenRouterClient

__all__ = ["OpenRouterClient"]
