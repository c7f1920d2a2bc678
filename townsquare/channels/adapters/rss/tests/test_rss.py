"""RssAdapter against a local feed server; feed_writer round trips through feedparser."""

from __future__ import annotations

import datetime as dt
import html
import json
import time
from pathlib import Path

import feedparser
import pytest

from townsquare.channels.adapters.base import (
    AuthExpired,
    Credentials,
    ItemKind,
    MalformedResponse,
    NotSupported,
    PostRequest,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.registry import adapter_class
from townsquare.channels.adapters.rss.client import RssAdapter
from townsquare.channels.adapters.rss.feed_writer import (
    FeedEntry,
    FeedInfo,
    clean_text,
    language_tag,
    render_atom,
    render_rss,
)
from townsquare.channels.adapters.rss.html_text import html_to_text
from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest, FakeResponse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()



def make_adapter(fake: FakeNetwork, path: str = "/feed", **config: object) -> RssAdapter:
    return RssAdapter(credentials=Credentials(), config={"feed_url": fake.url + path, **config})


def serve(fake: FakeNetwork, body: bytes, headers: dict[str, str], etag: str = "") -> None:
    def handler(request: FakeRequest) -> FakeResponse:
        if etag and request.headers.get("if-none-match") == etag:
            return FakeResponse(304, b"", {"ETag": etag})
        extra = {"ETag": etag, "Last-Modified": "Tue, 10 Feb 2026 09:45:00 GMT"} if etag else {}
        return FakeResponse(200, body, {**headers, **extra})

    fake.route("GET", "/feed", handler)


def test_registry_and_config() -> None:
    assert adapter_class("rss") is RssAdapter
    with pytest.raises(ValueError, match="feed_url"):
        RssAdapter(credentials=Credentials(), config={"feed_url": "file:///etc/passwd"})
    with pytest.raises(ValueError, match="feed_url"):
        RssAdapter(credentials=Credentials(), config={})


def test_atom_entries_become_posts(fake: FakeNetwork) -> None:
    serve(fake, fixture("atom_feed.xml"), ATOM)
    result = make_adapter(fake).fetch_inbound(None)
    assert not result.gap
    english, arabic = result.items  # oldest first
    assert english.kind == ItemKind.POST
    assert english.remote_id == "tag:health.gov.example,2026:news/101"
    assert english.url == "https://health.gov.example/news/clinics-saturday"
    assert english.created_at == dt.datetime(2026, 2, 9, 7, 0, tzinfo=dt.UTC)
    assert english.text.startswith("Vaccination clinics open on Saturday\n\n")
    assert "All twelve clinics open 9–17." in english.text
    assert "alert" not in english.text and "<" not in english.text
    assert (english.author_id, english.author_name) == ("press@health.gov.example", "Press Office")
    assert english.language == "en"
    assert english.raw["tags"] == ["vaccination"]
    assert arabic.language == "ar"
    assert arabic.text.endswith("تفتح جميع العيادات الاثنتي عشرة من ٩ إلى ١٧.")


def test_rss_entries_html_enclosures_and_links(fake: FakeNetwork) -> None:
    serve(fake, fixture("rss_feed.xml"), RSS)
    result = make_adapter(fake).fetch_inbound(None)
    night, detour = result.items
    assert detour.remote_id == "https://transit.city.example/news/route-12-detour"
    assert detour.text == "Route 12 detour from Monday\n\nBuses divert via Elm St.\n[map]"
    assert detour.attachment_urls == ("https://transit.city.example/maps/route-12.pdf",)
    assert detour.author_handle == "Service Desk"
    # No guid: the link is the id.
    assert night.remote_id == "https://transit.city.example/news/night-buses"
    assert night.text.endswith("Night buses run every 30 minutes & stop on request.")
    assert night.language == "en-us"


def test_conditional_get_and_seen_ids(fake: FakeNetwork) -> None:
    serve(fake, fixture("atom_feed.xml"), ATOM, etag='"v1"')
    adapter = make_adapter(fake)
    first = adapter.fetch_inbound(None)
    assert len(first.items) == 2
    state = json.loads(first.cursor or "")
    assert state["etag"] == '"v1"' and state["modified"].endswith("GMT")
    # Unchanged: the server answers 304 to our If-None-Match / If-Modified-Since.
    second = adapter.fetch_inbound(first.cursor)
    assert second.items == [] and second.cursor == first.cursor
    request = fake.requests[-1]
    assert request.headers["if-none-match"] == '"v1"'
    assert request.headers["if-modified-since"] == "Tue, 10 Feb 2026 09:45:00 GMT"
    # Changed: only the entry not seen before comes back, the cursor survives a restart.
    serve(fake, fixture("atom_feed_next.xml"), ATOM, etag='"v2"')
    third = make_adapter(fake).fetch_inbound(second.cursor)
    [chinese] = third.items
    assert chinese.remote_id == "tag:health.gov.example,2026:news/102"
    assert chinese.language == "zh-Hans"
    assert chinese.text == "周六开放疫苗接种诊所\n\n十二家诊所全部开放 👩‍⚕️"
    assert not third.gap
    remembered = json.loads(third.cursor or "")["seen"]
    assert "tag:health.gov.example,2026:news/101-ar" in remembered  # older ids kept


def test_feed_that_turned_over_between_polls_is_a_gap(fake: FakeNetwork) -> None:
    serve(fake, fixture("atom_feed.xml"), ATOM)
    cursor = make_adapter(fake).fetch_inbound(None).cursor
    serve(fake, fixture("atom_feed_turned_over.xml"), ATOM)
    result = make_adapter(fake).fetch_inbound(cursor)
    assert result.gap
    assert [i.remote_id for i in result.items] == ["tag:health.gov.example,2026:news/150"]


def test_bad_cursor_is_refused(fake: FakeNetwork) -> None:
    with pytest.raises(ValueError, match="cursor"):
        make_adapter(fake).fetch_inbound("not json")


def test_charset_from_the_xml_declaration(fake: FakeNetwork) -> None:
    serve(fake, fixture("rss_windows1256.xml"), {"Content-Type": "application/xml"})
    [item] = make_adapter(fake).fetch_inbound(None).items
    assert item.text == "إغلاق الطريق\n\nالطريق مغلق"
    assert item.remote_id == "ar-7"


def test_malformed_feed_keeps_the_entries_parsed(fake: FakeNetwork) -> None:
    serve(fake, fixture("rss_truncated.xml"), RSS)
    items = make_adapter(fake).fetch_inbound(None).items
    assert "transit-7-normal" in [i.remote_id for i in items]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("garbage.bin", "application/xml"),
        ("not_a_feed.html", "text/html"),
    ],
)
def test_unparseable_documents_are_malformed(
    fake: FakeNetwork, name: str, content_type: str
) -> None:
    serve(fake, fixture(name), {"Content-Type": content_type})
    with pytest.raises(MalformedResponse):
        make_adapter(fake).fetch_inbound(None)


def test_size_limit(fake: FakeNetwork) -> None:
    big = fixture("atom_feed.xml").replace(b"Bring your card.", b"x" * 20_000)
    serve(fake, big, ATOM)
    with pytest.raises(MalformedResponse, match="larger"):
        make_adapter(fake, max_bytes=4096).fetch_inbound(None)
    assert len(make_adapter(fake).fetch_inbound(None).items) == 2


def test_ten_thousand_characters_and_emoji_are_kept(fake: FakeNetwork) -> None:
    long_text = ("الطريق مغلق 公交 👩‍👩‍👧‍👦 " * 400)[:9_999] + "."
    feed = render_atom(
        FeedInfo(
            id="tag:x,2026:f",
            title="T",
            url="https://x.example/",
            self_url="https://x.example/f",
            author="X",
        ),
        [
            FeedEntry(
                id="tag:x,2026:1",
                title="",
                text=long_text,
                url="",
                published=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
        ],
    )
    serve(fake, feed.encode("utf-8"), ATOM)
    [item] = make_adapter(fake).fetch_inbound(None).items
    assert item.text == long_text


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (500, {}, TransientError),
        (503, {}, TransientError),
        (404, {}, RemoteRejected),
        (410, {}, RemoteRejected),
        (401, {}, AuthExpired),
        (429, {"Retry-After": "120"}, RateLimited),
    ],
)
def test_http_failures(
    fake: FakeNetwork, status: int, headers: dict[str, str], error: type[Exception]
) -> None:
    fake.route("GET", "/feed", FakeResponse(status, "nope", headers))
    with pytest.raises(error) as caught:
        make_adapter(fake).fetch_inbound(None)
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after == 120.0


def test_429_retry_after_as_a_date_and_missing(fake: FakeNetwork) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90)
    fake.route(
        "GET",
        "/feed",
        FakeResponse(429, "", {"Retry-After": when.strftime("%a, %d %b %Y %H:%M:%S GMT")}),
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).fetch_inbound(None)
    assert caught.value.retry_after is not None and 60 < caught.value.retry_after <= 90
    fake.route("GET", "/feed", FakeResponse(429, ""))
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).fetch_inbound(None)
    assert caught.value.retry_after is None


def test_timeout_and_redirects(fake: FakeNetwork) -> None:
    def slow(request: FakeRequest) -> FakeResponse:
        time.sleep(0.6)
        return FakeResponse(200, fixture("atom_feed.xml"), ATOM)

    fake.route("GET", "/feed", slow)
    with pytest.raises(TransientError, match="in time"):
        make_adapter(fake, timeout=0.3).fetch_inbound(None)
    fake.route("GET", "/old", FakeResponse(301, b"", {"Location": "/feed"}))
    serve(fake, fixture("atom_feed.xml"), ATOM)
    assert len(make_adapter(fake, "/old").fetch_inbound(None).items) == 2
    fake.route("GET", "/loop", FakeResponse(302, b"", {"Location": "/loop"}))
    with pytest.raises(MalformedResponse, match="redirects"):
        make_adapter(fake, "/loop").fetch_inbound(None)


def test_profile_and_no_publishing(fake: FakeNetwork) -> None:
    serve(fake, fixture("atom_feed.xml"), ATOM)
    adapter = make_adapter(fake)
    profile = adapter.fetch_profile()
    assert profile.display_name == "Ministry of Health — News"
    assert profile.remote_id == "tag:health.gov.example,2026:feed"
    assert profile.url == "https://health.gov.example/news"
    assert profile.followers is None
    with pytest.raises(NotSupported):
        adapter.publish(PostRequest(text="x"))
    with pytest.raises(NotSupported):
        adapter.reply("tag:x", PostRequest(text="x"))
    assert "RssAdapter(" in repr(adapter)


# --- html_to_text ---------------------------------------------------------------------------


def test_html_to_text_is_safe() -> None:
    text = html_to_text(
        "<h1>Notice</h1><p>Roads &amp; bridges&nbsp;closed.<br>Details below.</p>"
        "<script>document.cookie</script><style>p{}</style><ul><li>A</li><li>B</li></ul>"
        "<p onclick='x()'>&lt;script&gt; is text here</p><SCRIPT>x()</SCRIPT>"
    )
    assert text == (
        "Notice\n\nRoads & bridges closed.\nDetails below.\n\nA\nB\n\n<script> is text here"
    )


# --- feed_writer ----------------------------------------------------------------------------

FEED = FeedInfo(
    id="tag:transport.gov.example,2026:feed",
    title='Transport & <Roads> "Agency"',
    url="https://transport.gov.example/",
    self_url="https://transport.gov.example/organisations/transport/feed.atom",
    author="Ministry of Transport",
    subtitle="News",
)
ENTRIES = [
    FeedEntry(
        id="tag:transport.gov.example,2026:post/1",
        title="Road closed </script><script>alert(1)</script>",
        text="Line one & <b>bold</b>\r\nLine two ]]> \x00\x08\x1b\ufffe end",
        url="https://transport.gov.example/posts/1?a=1&b=2",
        published=dt.datetime(2026, 2, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=3))),
        language="en",
    ),
    FeedEntry(
        id="tag:transport.gov.example,2026:post/2",
        title="إغلاق الطريق",
        text="الطريق مغلق حتى الساعة ١٧ 👩‍👩‍👧‍👦",
        url="https://transport.gov.example/ar/posts/2",
        published=dt.datetime(2026, 2, 2, 8, 30, tzinfo=dt.UTC),
        updated=dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC),
        language="ar",
    ),
    FeedEntry(
        id="tag:transport.gov.example,2026:post/3",
        title="道路封闭",
        text="道路封闭至17时。\n</script>",
        url="https://transport.gov.example/zh/posts/3",
        published=dt.datetime(2026, 2, 3, 8, 30, tzinfo=dt.UTC),
        language="zh-hans",
    ),
]
EXPECTED_TEXT = "Line one & <b>bold</b>\nLine two ]]>  end"


def test_clean_text_and_language_tags() -> None:
    assert clean_text("a\x00b\x0bc\td\r\ne\ud800f\uffff") == "abc\td\nef"
    assert language_tag("zh-hans") == "zh-Hans"
    assert language_tag("AR") == "ar"
    assert language_tag("en_gb") == "en-GB"
    assert language_tag('en" onload="x') == ""


def test_atom_round_trip() -> None:
    document = render_atom(FEED, ENTRIES)
    assert "<script>" not in document
    assert "\x00" not in document and "\x1b" not in document
    parsed = feedparser.parse(document.encode("utf-8"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == FEED.title
    assert parsed.feed.updated == "2026-02-03T08:30:00Z"
    english, arabic, chinese = parsed.entries
    assert english.title == ENTRIES[0].title
    assert english.content[0].value == EXPECTED_TEXT
    assert english.content[0].type == "text/plain"
    assert english.link == ENTRIES[0].url
    assert english.published == "2026-02-01T07:00:00Z"  # converted to UTC
    assert english.title_detail.language == "en"
    assert arabic.title == "إغلاق الطريق" and arabic.title_detail.language == "ar"
    assert arabic.content[0].value == ENTRIES[1].text
    assert arabic.updated == "2026-02-02T09:00:00Z"
    assert chinese.content[0].value == "道路封闭至17时。\n</script>"
    assert chinese.content[0].language == "zh-Hans"
    assert [e.id for e in parsed.entries] == [e.id for e in ENTRIES]


def test_rss_round_trip() -> None:
    document = render_rss(FEED, ENTRIES)
    assert "<script>" not in document
    parsed = feedparser.parse(document.encode("utf-8"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == FEED.title
    english, arabic, chinese = parsed.entries
    # description is HTML in RSS: the plain text was escaped, so it reads back exactly.
    assert html.unescape(english.summary) == EXPECTED_TEXT
    assert english.title == ENTRIES[0].title
    assert english.published_parsed[:6] == (2026, 2, 1, 7, 0, 0)
    assert arabic.title_detail.language == "ar"
    assert html.unescape(arabic.summary) == ENTRIES[1].text
    assert html.unescape(chinese.summary) == "道路封闭至17时。\n</script>"
    assert chinese.id == ENTRIES[2].id


def test_reading_our_own_feed_back_with_the_adapter(fake: FakeNetwork) -> None:
    serve(fake, render_atom(FEED, ENTRIES).encode("utf-8"), ATOM)
    items = make_adapter(fake).fetch_inbound(None).items
    assert [i.language for i in items] == ["en", "ar", "zh-Hans"]
    assert items[1].text == "إغلاق الطريق\n\n" + ENTRIES[1].text


def test_naive_dates_are_refused() -> None:
    naive = FeedEntry(id="x", title="t", text="t", url="", published=dt.datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone"):
        render_atom(FEED, [naive])
    empty = feedparser.parse(render_atom(FEED, []).encode())
    assert not empty.bozo and empty.entries == []
