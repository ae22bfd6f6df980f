"""Prefect flows of the desk, one per module; each is a thin sequence of service calls."""
