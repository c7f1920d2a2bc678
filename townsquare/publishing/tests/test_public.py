"""Published posts on the agency's public page and in its Atom/RSS feeds."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree as ET
from django.test import Client

from townsquare.publishing.models import PostState, Variant
from townsquare.publishing.services.compose import VersionInput
from townsquare.publishing.services.engine import posts_dispatch_due, variant_publish
from townsquare.publishing.services.workflow import post_publish_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(approved_post, erin, fake_network, accounts):
    post = approved_post(languages={
        "en": VersionInput("Route 12 <script>x</script> every 10 minutes.",
                           [accounts["mastodon"]]),
        "ar": VersionInput("الخط 12 كل 10 دقائق.", [accounts["mastodon"]]),
    })
    post_publish_now(actor=erin, post=post)
    posts_dispatch_due()
    for variant in Variant.objects.filter(version__post=post):
        variant_publish(variant_id=variant.pk)
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    return post


def test_agency_page_lists_published_posts_escaped(published, make_post):
    make_post("A draft nobody may see yet")
    page = Client().get("/organisations/transport/").content.decode()
    assert "Route 12 &lt;script&gt;x&lt;/script&gt; every 10 minutes." in page
    assert "الخط 12 كل 10 دقائق." in page and 'lang="ar"' in page
    assert "A draft nobody may see yet" not in page
    assert "https://fake.example/posts/" in page
    other = Client().get("/organisations/health/").content.decode()
    assert "Route 12" not in other


def test_atom_and_rss_feeds(published):
    atom = Client().get("/organisations/transport/feed.atom")
    assert atom["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(atom.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == 2
    texts = " ".join(e.find("a:content", ns).text or "" for e in entries)
    assert "<script>x</script>" in texts  # as text, escaped by the XML writer
    rss = Client().get("/organisations/transport/feed.rss")
    assert len(ET.fromstring(rss.content).findall("channel/item")) == 2
    assert Client().get("/organisations/nowhere/feed.atom").status_code == 404


def test_withdrawn_posts_leave_the_page(published, erin):
    from townsquare.publishing.services.remote import post_withdraw

    post_withdraw(actor=erin, post=published)
    page = Client().get("/organisations/transport/").content.decode()
    assert "Route 12" not in page
