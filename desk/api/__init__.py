"""The promotion service over HTTP (FastAPI)."""
