"""OpenRouter (OpenAI-compatible chat completions) adapter: ``client``, ``wire``, ``catalog``."""
