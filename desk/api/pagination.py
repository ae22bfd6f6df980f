"""Page-number pagination: ``page`` (>= 1) and ``page_size`` (1-100) in, :class:`Page` out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request

from desk.api.schemas.common import Page

T = TypeVar("T")
S = TypeVar("S")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int
    page_size: int
    request: Request

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def _link(self, page: int) -> str:
        return str(self.request.url.include_query_params(page=page, page_size=self.page_size))

    def build(self, results: Sequence[T], count: int) -> Page[T]:
        """A page of results already sliced (e.g. by the store) plus the total count."""
        last = self.page * self.page_size >= count
        return Page[T](
            count=count,
            page=self.page,
            page_size=self.page_size,
            next=None if last else self._link(self.page + 1),
            previous=self._link(self.page - 1) if self.page > 1 and count else None,
            results=list(results),
        )

    def slice(self, items: Sequence[S], convert: Callable[[S], T]) -> Page[T]:
        """Paginate a list held in memory (small lists: users, tokens, credentials)."""
        chosen = items[self.offset : self.offset + self.page_size]
        return self.build([convert(item) for item in chosen], len(items))


async def page_params(
    request: Request,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Results per page (max 100).")
    ] = DEFAULT_PAGE_SIZE,
) -> PageParams:
    return PageParams(page=page, page_size=page_size, request=request)


PageDep = Annotated[PageParams, Depends(page_params)]
