"""Article text and metadata with trafilatura (CPU-bound: call it from a thread)."""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str
    title: str | None = None
    date: str | None = None
    author: str | None = None
    sitename: str | None = None


def extract_article(html: bytes, url: str | None = None) -> Extracted | None:
    """Main text and metadata of an HTML page, or None when nothing readable was found."""
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
    )
    if document is None:
        return None
    text = (getattr(document, "text", None) or "").strip()
    if not text:
        return None
    return Extracted(
        text=text,
        title=getattr(document, "title", None),
        date=getattr(document, "date", None),
        author=getattr(document, "author", None),
        sitename=getattr(document, "sitename", None),
    )


def truncate_to_tokens(text: str, max_tokens: int, chars_per_token: int = 4) -> tuple[str, bool]:
    """Cut ``text`` to about ``max_tokens`` tokens at a word boundary; says whether it cut."""
    limit = max_tokens * chars_per_token
    if len(text) <= limit:
        return text, False
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(), True
