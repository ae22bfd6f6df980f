"""The research loop's tools: web search, page reading and market data."""
