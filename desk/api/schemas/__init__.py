"""HTTP schemas (pydantic). They mirror the API, not the tables."""
