"""News feeds as a listening source, read from a fake feed server on loopback: entries
go through the ingest pipeline and are matched; conditional GET; bad feeds (HTML, broken
XML, huge, redirect loops, private addresses) give a clear state on the feed page."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from townsquare.channels.models import InboundItem
from townsquare.core.models import AuditEvent
from townsquare.ingest.models import ItemEnrichment
from townsquare.listening.models import Feed, FeedState, Match
from townsquare.listening.services.feeds import feed_create, feed_poll, feeds_poll_due
from townsquare.listening.services.matching import inbox_items_match

pytestmark = pytest.mark.django_db

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour News</title><link>https://news.example/</link>
<language>en</language>
<item><guid>https://news.example/n1</guid><title>Bus fares to double, council says</title>
<link>https://news.example/n1</link><description>The 12 bus is late and fares rise.</description>
<pubDate>Sun, 22 Nov 2026 03:00:00 GMT</pubDate></item>
<item><guid>https://news.example/n2</guid><title>الحافلة متأخرة مرة أخرى</title>
<link>https://news.example/n2</link>
<description>الحافلة رقم 7 متأخرة</description>
<pubDate>Sun, 22 Nov 2026 03:10:00 GMT</pubDate></item>
<item><guid>https://news.example/n3</guid><title>Library opens late on Sundays</title>
<link>https://news.example/n3</link><description>New hours.</description>
<pubDate>Sun, 22 Nov 2026 03:20:00 GMT</pubDate></item>
</channel></rss>"""


class FeedServer(BaseHTTPRequestHandler):
    requests: list[tuple[str, dict[str, str]]] = []

    def do_GET(self):
        self.requests.append((self.path, dict(self.headers)))
        if self.path == "/feed.xml":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self._send(200, RSS.encode(), "application/rss+xml", etag='"v1"')
        elif self.path == "/page.html":
            self._send(200, b"<!doctype html><html><body><h1>Welcome</h1></body></html>",
                       "text/html")
        elif self.path == "/broken.xml":
            self._send(200, b"<rss version='2.0'><channel><title>News & views</title></chan",
                       "application/xml")
        elif self.path == "/huge.xml":
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.end_headers()  # no length: the reader must stop while streaming
            try:
                chunk = b"<!-- " + b"x" * 65_536 + b" -->"
                for _ in range(100):  # about 6.5 MB
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/loop":
            self._redirect("/loop")
        elif self.path == "/to-private":
            self._redirect("http://10.1.2.3/feed.xml")
        elif self.path == "/gone":
            self._send(404, b"not here", "text/plain")
        else:
            self._send(404, b"", "text/plain")

    def _send(self, status, body, content_type, etag=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(settings):
    settings.LISTENING_FEEDS_ALLOW_LOOPBACK = True
    FeedServer.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def add_feed(alice, government, url, **extra):
    return feed_create(actor=alice, organisation=government["transport"],
                       name=extra.pop("name", "Harbour News"), url=url, **extra)


def test_feed_entries_are_ingested_and_matched(server, alice, government, bus_query, later):
    feed = add_feed(alice, government, f"{server}/feed.xml")
    assert feeds_poll_due() == 1
    feed.refresh_from_db()
    assert (feed.state, feed.last_new_items, feed.error_code) == (FeedState.OK, 3, "")
    items = InboundItem.objects.filter(account=feed.account).order_by("remote_id")
    ids = [f"feed{feed.pk}:https://news.example/{n}" for n in ("n1", "n2", "n3")]
    assert [i.remote_id for i in items] == ids
    assert items[0].text.startswith("Bus fares to double")
    assert items[0].url == "https://news.example/n1"
    assert ItemEnrichment.objects.filter(item__account=feed.account).count() == 3
    inbox_items_match(now=later)
    matched = set(Match.objects.filter(query=bus_query).values_list("remote_id", flat=True))
    assert matched == {ids[0], ids[1]}  # not the library
    # Not due again until its interval has passed.
    assert feeds_poll_due() == 0


def test_conditional_get_and_no_duplicates(server, alice, government):
    feed = add_feed(alice, government, f"{server}/feed.xml")
    feed_poll(feed=feed)
    feed_poll(feed=feed)
    assert FeedServer.requests[-1][1].get("If-None-Match") == '"v1"'
    feed.refresh_from_db()
    assert feed.state == FeedState.OK and feed.last_new_items == 0
    assert InboundItem.objects.filter(account=feed.account).count() == 3
    # Even without the reader's memory, nothing is stored twice.
    Feed.objects.filter(pk=feed.pk).update(cursor="")
    feed.refresh_from_db()
    feed_poll(feed=feed)
    assert InboundItem.objects.filter(account=feed.account).count() == 3


def test_two_agencies_reading_one_feed_each_get_it(server, alice, carol, government):
    mine = add_feed(alice, government, f"{server}/feed.xml")
    theirs = feed_create(actor=carol, organisation=government["health"], name="News",
                         url=f"{server}/feed.xml")
    feed_poll(feed=mine)
    feed_poll(feed=theirs)
    assert InboundItem.objects.filter(account=theirs.account).count() == 3


@pytest.mark.parametrize(
    ("path", "code", "message"),
    [
        ("/page.html", "not_a_feed", "does not hold an RSS or Atom feed"),
        ("/broken.xml", "not_a_feed", "does not hold an RSS or Atom feed"),
        ("/huge.xml", "too_large", "larger than 5 MB"),
        ("/loop", "redirect_loop", "redirects too many times"),
        ("/to-private", "private_address", "private network"),
        ("/gone", "refused", "refused the request"),
    ],
)
def test_bad_feeds_show_a_clear_state(  # noqa: PLR0917 - fixtures
    server, client_for, alice, government, path, code, message
):
    feed = add_feed(alice, government, f"{server}{path}")
    feed_poll(feed=feed)
    feed.refresh_from_db()
    assert (feed.state, feed.error_code, feed.failures) == (FeedState.FAILING, code, 1)
    assert feed.next_poll_at > feed.last_polled_at
    assert not InboundItem.objects.filter(account=feed.account).exists()
    page = client_for(alice).get(reverse("listening:feeds")).content.decode()
    assert message in page


def test_private_and_loopback_addresses_are_refused(server, alice, government, settings):
    feed = add_feed(alice, government, "http://192.168.1.20/feed.xml")
    feed_poll(feed=feed)
    assert feed.error_code == "private_address"
    settings.LISTENING_FEEDS_ALLOW_LOOPBACK = False
    local = add_feed(alice, government, f"{server}/feed.xml", name="Local")
    feed_poll(feed=local)
    assert local.error_code == "private_address"
    assert not any(path == "/feed.xml" for path, _h in FeedServer.requests)


def test_failures_back_off_and_recover(server, alice, government):
    feed = add_feed(alice, government, f"{server}/gone", poll_minutes=10)
    feed_poll(feed=feed)
    first_wait = feed.next_poll_at - feed.last_polled_at
    feed_poll(feed=feed)
    assert feed.failures == 2
    assert feed.next_poll_at - feed.last_polled_at == 2 * first_wait
    Feed.objects.filter(pk=feed.pk).update(url=f"{server}/feed.xml")
    feed.refresh_from_db()
    feed_poll(feed=feed)
    assert (feed.state, feed.failures, feed.error_code) == (FeedState.OK, 0, "")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "ftp://example.org/feed"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"name": "  "}, "name"),
        ({"poll_minutes": 1}, "poll_minutes"),
        ({"language": "fr"}, "language"),
    ],
)
def test_bad_feed_input_is_refused_clearly(alice, government, fields, field):
    values = {"name": "News", "url": "https://news.example/feed.xml", **fields}
    with pytest.raises(ValidationError) as caught:
        feed_create(actor=alice, organisation=government["transport"], **values)
    assert field in caught.value.message_dict
    assert not Feed.objects.exists()


def test_feed_pages_and_scope(  # noqa: PLR0917 - fixtures
    server, client_for, alice, carol, bob, government
):
    client = client_for(alice)
    response = client.post(reverse("listening:feed_new"), {
        "organisation": government["transport"].pk, "name": "Harbour News",
        "url": f"{server}/feed.xml", "language": "", "poll_minutes": "15", "active": "on",
    })
    assert response.status_code == 302
    feed = Feed.objects.get()
    assert AuditEvent.objects.filter(action="listening.feed_create").count() == 1
    # The same feed twice: an inline error, the input kept.
    again = client.post(reverse("listening:feed_new"), {
        "organisation": government["transport"].pk, "name": "Again",
        "url": f"{server}/feed.xml", "poll_minutes": "15",
    })
    assert again.status_code == 400 and "already reads this feed" in again.content.decode()
    client.post(reverse("listening:feed_read", args=[feed.pk]))
    feed.refresh_from_db()
    assert feed.state == FeedState.OK
    assert client_for(carol).get(reverse("listening:feed_edit", args=[feed.pk])).status_code == 404
    assert client_for(carol).post(reverse("listening:feed_read", args=[feed.pk])).status_code == 404
    assert "Harbour News" not in client_for(carol).get(reverse("listening:feeds")).content.decode()
    assert client_for(bob).get(reverse("listening:feed_edit", args=[feed.pk])).status_code == 403
    # Pausing stops the reading.
    client.post(reverse("listening:feed_edit", args=[feed.pk]), {
        "organisation": government["transport"].pk, "name": "Harbour News",
        "url": f"{server}/feed.xml", "poll_minutes": "15",
    })
    feed.refresh_from_db()
    assert feed.active is False and feed.next_poll_at is None
