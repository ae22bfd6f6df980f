"""Path and query parameters shared by routes: object references are ids or usernames."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

# Ids are hex; usernames are [a-z][a-z0-9_.-]. Anything else is a 422, never a store error.
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

IdPath = Annotated[str, Path(pattern=REF_PATTERN, examples=["6f1d0c6e2b8a4f0e9d3c5b7a1e2f4d6c"])]
UserRefQuery = Annotated[
    str | None,
    Query(pattern=REF_PATTERN, description="A user id or username.", examples=["asha"]),
]
