"""Adapters at the edges: store, system clock, crypto, brokers, LLMs, search, web, Telegram."""
