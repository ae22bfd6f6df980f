"""``desk fake-services``: fake OpenRouter, Serper/CSE and a web site on 127.0.0.1.

A development tool of a checkout: it serves the scripted conversations and fictional pages
under ``tests/fixtures`` so a live (non-replay) research run can go through real HTTP.
"""

from __future__ import annotations

from pathlib import Path

import typer

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def register(root: typer.Typer) -> None:
    root.command("fake-services")(fake_services)


def fake_services(
    conversation: str = typer.Option(
        "infosys_research", help="Scripted conversation in tests/fixtures/research/."
    ),
) -> None:
    """Run fake OpenRouter + Serper/CSE + web pages until Ctrl-C; prints the settings to use."""
    import json
    import threading
    from contextlib import ExitStack

    from desk.adapters.research_fakes.openrouter import FakeOpenRouter
    from desk.adapters.research_fakes.search import FakeSearch
    from desk.adapters.research_fakes.server import serve_in_thread
    from desk.adapters.research_fakes.web import FakeWeb
    from desk.domain.errors import NotFoundError

    script = FIXTURES / "research" / f"{conversation}.json"
    if not script.is_file():
        known = ", ".join(p.stem for p in (FIXTURES / "research").glob("*.json")) or "none"
        raise NotFoundError(f"no conversation {conversation!r} (known: {known})")
    convo = json.loads(script.read_text(encoding="utf-8"))
    with ExitStack() as stack:
        web_url = stack.enter_context(serve_in_thread(FakeWeb(FIXTURES / "web").app))
        variables = {"WEB": web_url}
        fake_or = FakeOpenRouter(convo["script"], variables=variables)
        or_url = stack.enter_context(serve_in_thread(fake_or.app))
        search = FakeSearch(convo["search_results"], variables=variables)
        search_url = stack.enter_context(serve_in_thread(search.app))
        typer.echo("fake services are up; in another shell:")
        typer.echo(f"  export DESK_OPENROUTER_BASE_URL={or_url}/api/v1")
        typer.echo(f"  export DESK_SERPER_BASE_URL={search_url} SERPER_API_KEY=fake-serper-key")
        typer.echo("  export DESK_ALLOW_PRIVATE_URLS=true")
        typer.echo(f"  (the fake OpenRouter expects the key {fake_or.api_key!r}; store it with")
        typer.echo(
            "   `desk credentials add-llm <owner>`; query: " + json.dumps(convo["query"]) + ")"
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            typer.echo("stopped")
