"""Results of list calls: typed rows plus ``.frame()`` for a polars DataFrame."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    import polars as pl

M = TypeVar("M", bound=BaseModel)


def to_frame(rows: Sequence[BaseModel], model: type[BaseModel]) -> pl.DataFrame:
    """One row per model; nested values (payloads) become JSON text so columns stay flat."""
    import polars as pl

    if not rows:
        return pl.DataFrame(schema=list(model.model_fields))
    records = [_flat(row.model_dump()) for row in rows]
    return pl.DataFrame(records, infer_schema_length=None)


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: json.dumps(v, default=str, sort_keys=True) if isinstance(v, dict | list) else v
        for k, v in record.items()
    }


@dataclass(frozen=True, slots=True)
class Listing(Generic[M]):
    """One page of a list: ``results`` plus the counts and links of the service."""

    model: type[M]
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None
    results: list[M] = field(default_factory=list)
    count_exact: bool = True
    """False when ``count`` is a lower bound (run history searched by free text)."""

    def __iter__(self) -> Iterator[M]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def frame(self) -> pl.DataFrame:
        return to_frame(self.results, self.model)

    @classmethod
    def parse(cls, model: type[M], body: dict[str, Any]) -> Listing[M]:
        return cls(
            model=model,
            count=int(body["count"]),
            page=int(body["page"]),
            page_size=int(body["page_size"]),
            next=body.get("next"),
            previous=body.get("previous"),
            results=[model.model_validate(r) for r in body["results"]],
            count_exact=bool(body.get("count_exact", True)),
        )


@dataclass(frozen=True, slots=True)
class EventPage(Generic[M]):
    """A cursor page (audit events): pass ``next_before_seq`` as ``before_seq``."""

    model: type[M]
    results: list[M]
    next_before_seq: int | None

    def __iter__(self) -> Iterator[M]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def frame(self) -> pl.DataFrame:
        return to_frame(self.results, self.model)
