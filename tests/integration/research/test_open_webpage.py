"""open_webpage over HTTP: every saved real page, the fixture pages, and hostile inputs."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import httpx
import pytest

from desk.adapters.research_tools.webpage import open_webpage_tool
from desk.adapters.web.fetcher import FetchLimits, SafeFetcher
from desk.domain.clock import FixedClock
from desk.services.ports.research_tools import FetchError

from .conftest import SAVED_PAGES, Servers

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)

# Sentences picked by reading each saved page's HTML: one from the article body (must be in the
# text) and one navigation/footer string (must not be). Titles and dates are the page metadata.
SAVED = {
    "reuters.com.parasite.html": (
        "Laura Dern was named best supporting actress for playing a ruthless divorce lawyer",
        "Advertise with Us",
        "2020-01-20",
    ),
    "theverge.com.ios13.html": (
        "How iOS 13 FaceTime Attention Correction works: it simply uses ARKit to grab a depth map",
        "Follow The Verge on Twitter",
        "2019-07-03",
    ),
    "nature.com.telescope.html": (
        "the instrument detected hundreds of bursts from a repeating fast",
        "Browse Collections",
        "2019-09-24",
    ),
    "salon.com.emissions.html": (
        "Cleaning up the electrical grid is a great first step to cleaning up other sectors",
        "Sign up for our free newsletter",
        "2020-01-10",
    ),
    "threatpost.com.android.html": (
        "Targets are sent a link to the malicious application, which must be installed manually",
        "This field is for validation purposes and should be left unchanged.",
        "2019-07-30",
    ),
    "blog.python.org.html": (
        "Thank you to all who have contributed and reviewed code and documentation changes",
        "Python-Dev mailing list",
        "2016-12-23",
    ),
    "dw.com.colonial.html": (
        "Migration is now being seen in connection with postcolonial history",
        "DW.COM in 30 languages",
        "2020-01-19",
    ),
    "vancouversun.com.microsoft.html": (
        "Since 2012, Microsoft assessed the fee on direct emissions, electricity use",
        "Vancouver Whitecaps",
        "2020-01-16",
    ),
}


@pytest.fixture
async def fetcher():
    async with httpx.AsyncClient(timeout=httpx.Timeout(5, connect=2)) as http:
        yield SafeFetcher(
            FixedClock(NOW),
            http=http,
            allow_private=True,
            limits=FetchLimits(
                max_bytes=1_000_000, max_redirects=3, deadline_s=3, max_text_tokens=4000
            ),
        )


def test_every_saved_page_has_an_expectation() -> None:
    if not SAVED_PAGES.is_dir():
        pytest.skip(f"saved pages folder {SAVED_PAGES} is absent")
    assert {p.name for p in SAVED_PAGES.glob("*.html")} == set(SAVED)


@pytest.mark.parametrize("name", sorted(SAVED))
async def test_saved_page_extraction(name: str, servers: Servers, fetcher: SafeFetcher) -> None:
    if not (SAVED_PAGES / name).is_file():
        pytest.skip(f"saved page {SAVED_PAGES / name} is absent (read in place, never copied)")
    body, boilerplate, date = SAVED[name]
    raw = (SAVED_PAGES / name).read_bytes()
    assert body.encode() in raw and boilerplate.encode() in raw  # both really are in the HTML
    page = await fetcher.read(f"{servers.web_url}/saved/{name}")
    assert body in page.text
    assert boilerplate not in page.text
    assert page.date == date and page.title
    assert 500 < len(page.text) < 20_000
    assert page.content_sha256 == hashlib.sha256(raw).hexdigest() and page.fetched_at == NOW


async def test_fixture_page_through_the_tool(servers: Servers, fetcher: SafeFetcher) -> None:
    url = f"{servers.web_url}/pages/infosys-contract.html"
    result = await open_webpage_tool(fetcher).run(json.dumps({"url": url}))
    content = json.loads(result.content)
    assert content["title"] == "Infosys wins fictional Rs 4,800 crore contract from Aurora Rail"
    assert content["date"] == "2026-11-20" and content["fetched_at"] == NOW.isoformat()
    assert "termination fee" in content["text"]
    for noise in ("Chronicle Prime", "Trending on Chronicle", "Morning Bell", "SENSEX ticker"):
        assert noise not in content["text"]
    (opened,) = result.opened_pages
    assert opened.content_sha256 == content["content_sha256"] and opened.final_url == url


async def test_redirects_are_followed_up_to_the_limit(
    servers: Servers, fetcher: SafeFetcher
) -> None:
    page = await fetcher.read(f"{servers.web_url}/hop/2")
    assert page.final_url.endswith("/pages/infosys-contract.html")
    with pytest.raises(FetchError, match="redirected more than 3 times"):
        await fetcher.read(f"{servers.web_url}/hop/4")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/huge", "larger than"),
        ("/huge-declared", "larger than"),
        ("/binary", "application/octet-stream, not an HTML page"),
        ("/pdf", "application/pdf"),
        ("/loop", "redirected more than"),
        ("/empty", "No readable article text"),
        ("/pages/missing.html", "HTTP 404"),
    ],
)
async def test_hostile_inputs_are_refused(
    path: str, message: str, servers: Servers, fetcher: SafeFetcher
) -> None:
    with pytest.raises(FetchError, match=message):
        await fetcher.read(servers.web_url + path)


async def test_plain_text_is_read_as_is(servers: Servers, fetcher: SafeFetcher) -> None:
    page = await fetcher.read(servers.web_url + "/plain")
    assert page.text.startswith("Plain text notice") and page.content_type == "text/plain"


async def test_deadline_bounds_a_slow_page(servers: Servers) -> None:
    async with httpx.AsyncClient() as http:
        slow = SafeFetcher(
            FixedClock(NOW), http=http, allow_private=True, limits=FetchLimits(deadline_s=0.3)
        )
        with pytest.raises(FetchError, match=r"longer than 0\.3 s"):
            await slow.read(servers.web_url + "/slow?delay=5")


async def test_long_text_is_truncated_to_the_token_budget(servers: Servers) -> None:
    async with httpx.AsyncClient() as http:
        small = SafeFetcher(
            FixedClock(NOW), http=http, allow_private=True, limits=FetchLimits(max_text_tokens=50)
        )
        page = await small.read(f"{servers.web_url}/pages/infosys-contract.html")
    assert page.truncated and len(page.text) <= 200


async def test_private_address_refused_outside_test_mode(servers: Servers) -> None:
    hits_before = len(servers.web.hits)
    async with httpx.AsyncClient() as http:
        strict = SafeFetcher(FixedClock(NOW), http=http)
        with pytest.raises(FetchError):
            await strict.read(f"{servers.web_url}/pages/infosys-contract.html")
        for url in ("http://127.0.0.1/", "http://localhost/", "http://169.254.169.254/latest/"):
            with pytest.raises(FetchError, match="private"):
                await strict.read(url)
    assert len(servers.web.hits) == hits_before  # refused before any request was sent
