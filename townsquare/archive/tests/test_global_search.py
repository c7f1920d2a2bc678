"""The console header's search: archive records by full text, conversations by tracking
number, grouped by kind, scoped to what the user may see."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from townsquare.core.navigation import search_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts(capture, government):
    return {
        "en": capture("gs-en", "The harbour ferry is cancelled on Friday").record,
        "ar": capture("gs-ar", "إلغاء العبّارة يوم الجمعة").record,
        "zh": capture("gs-zh", "周五港口渡轮停航").record,
        "health": capture("gs-health", "Harbour ferry clinic",
                          organisation=government["health"]).record,
    }


@pytest.fixture
def conversation(government):
    from townsquare.inbox.services.citizen import contact_form_submit

    return contact_form_submit(name="Maya", reply_to="maya@example.org",
                               text="The ferry did not come.",
                               organisation=government["transport"])


def _archive_urls(results):
    return {r.url for r in results if str(r.kind) == "Archived record"}


def test_records_are_found_by_full_text_in_three_languages(rita, posts):
    for query, key in (("ferry cancelled", "en"), ("العبارة", "ar"), ("渡轮", "zh")):
        urls = _archive_urls(search_everything(rita, query))
        assert urls == {reverse("archive:detail", args=[posts[key].pk])}, query


def test_full_text_results_are_scoped(rita, carol, bob, posts):
    assert _archive_urls(search_everything(carol, "ferry")) == {
        reverse("archive:detail", args=[posts["health"].pk])}
    assert _archive_urls(search_everything(bob, "ferry")) == set()


def test_a_query_that_is_not_full_text_still_finds_ids(rita, posts):
    urls = _archive_urls(search_everything(rita, "gs-zh"))
    assert reverse("archive:detail", args=[posts["zh"].pk]) in urls
    assert _archive_urls(search_everything(rita, '"')) == set()  # not full text: no error


def test_page_groups_records_and_conversations_by_kind(client_for, alice, carol, posts,
                                                       conversation):
    number = conversation.tracking_number
    # Alice (administrator of Transport) sees the conversation and the matching records.
    page = client_for(alice).get(reverse("console:search"), {"q": number}).content.decode()
    assert reverse("inbox:conversation", args=[conversation.pk]) in page
    page = client_for(alice).get(reverse("console:search"), {"q": "ferry"}).content.decode()
    headings = re.findall(r'<h3 id="search-kind-\d+">([^<]+)<', page)
    assert [h.strip() for h in headings].count("Archived record") == 1
    assert reverse("archive:detail", args=[posts["en"].pk]) in page
    # Carol (Health) sees neither Transport's conversation nor its records.
    other = client_for(carol).get(reverse("console:search"), {"q": number}).content.decode()
    assert reverse("inbox:conversation", args=[conversation.pk]) not in other
    other = client_for(carol).get(reverse("console:search"), {"q": "ferry"}).content.decode()
    assert reverse("archive:detail", args=[posts["en"].pk]) not in other
    assert reverse("archive:detail", args=[posts["health"].pk]) in other


def test_arabic_page_renders_grouped_results(client_for, rita, posts):
    client = client_for(rita)
    page = client.get(reverse("console:search"), {"q": "العبارة"},
                      HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert reverse("archive:detail", args=[posts["ar"].pk]) in page
