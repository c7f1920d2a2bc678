"""Full-text search in English, Arabic and Chinese, on whichever database runs the tests."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from townsquare.archive.models import RecordVersion, SavedSearch
from townsquare.archive.search import fts5_expression, highlight, parse_query
from townsquare.archive.selectors import records_search
from townsquare.archive.services import record_mark_deleted, record_restrict

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(capture, government):
    made = {
        "en": capture("en-1", "Road closed on Harbour Street after the storm", network="mastodon",
                      account_handle="@transport@social.example", author="Transport Desk",
                      remote_created_at=T0, media=[(b"photo", "image/jpeg")]),
        "en2": capture("en-2", "Buses run every 10 minutes on the harbour line",
                       network="bluesky", remote_created_at=T0 + dt.timedelta(days=40)),
        "ar": capture("ar-1", "سيُعاد فتح المَدْرَسَةُ الكبيرة يوم الأحد", network="mastodon",
                      remote_created_at=T0),
        "zh": capture("zh-1", "下周二上午供水维修，以下小区将暂停供水。", network="weibo",
                      remote_created_at=T0),
        "health": capture("h-1", "Harbour clinic opens on Sunday",
                          organisation=government["health"]),
    }
    return {k: v.record for k, v in made.items()}


def _ids(user, query, **filters):
    return [hit.record.source_id for hit in records_search(user, query, filters).hits]


def test_search_text_is_filled_at_capture(corpus):
    version = RecordVersion.objects.get(record=corpus["zh"])
    assert "供水 维修" in version.search_text
    assert RecordVersion.objects.get(record=corpus["ar"]).search_text.startswith("سيعاد")


def test_english_words_phrases_or_and_exclusion(alice, corpus):
    assert set(_ids(alice, "harbour")) == {"en-1", "en-2"}
    assert _ids(alice, "HARBOUR street") == ["en-1"]
    assert _ids(alice, '"closed on harbour"') == ["en-1"]
    assert _ids(alice, '"harbour closed"') == []
    assert set(_ids(alice, "storm OR buses")) == {"en-1", "en-2"}
    assert _ids(alice, "harbour -storm") == ["en-2"]
    assert _ids(alice, "harbor") == []  # no fuzzy matching: what is found is what was said


def test_arabic_with_and_without_diacritics(alice, corpus):
    assert _ids(alice, "المدرسة") == ["ar-1"]
    assert _ids(alice, "المَدْرَسَةُ") == ["ar-1"]
    assert _ids(alice, "سيعاد") == ["ar-1"]  # the text has a damma, the query none
    assert _ids(alice, "الاحد") == ["ar-1"]  # alef with hamza unified


def test_chinese_words(alice, corpus):
    assert _ids(alice, "供水") == ["zh-1"]
    assert _ids(alice, "供水维修") == ["zh-1"]  # segmented into a two-word phrase
    assert _ids(alice, "暂停") == ["zh-1"]
    assert _ids(alice, "维修 -供水") == []


def test_results_are_scoped_to_the_users_agencies(alice, carol, dana, corpus):
    assert "h-1" not in _ids(alice, "harbour")
    assert _ids(carol, "harbour") == ["h-1"]
    assert _ids(dana, "harbour") == []  # not a records officer or administrator anywhere


def test_restricted_records_match_only_for_records_officers(alice, rita, corpus):
    record_restrict(actor=alice, record=corpus["en"], reason="Erasure request, public records law")
    assert _ids(alice, "storm") == []
    assert _ids(rita, "storm") == ["en-1"]


def test_filters(alice, corpus, government):
    assert _ids(alice, "harbour", network="bluesky") == ["en-2"]
    assert _ids(alice, "harbour", account="@TRANSPORT@social.example") == ["en-1"]
    assert _ids(alice, "harbour", author="desk") == ["en-1"]
    assert _ids(alice, "harbour", has_media="yes") == ["en-1"]
    assert _ids(alice, "harbour", has_media="no") == ["en-2"]
    assert _ids(alice, "harbour", record_type="note") == []
    assert _ids(alice, "harbour", date_from=(T0 + dt.timedelta(days=1)).date()) == ["en-2"]
    assert _ids(alice, "harbour", date_to=T0.date()) == ["en-1"]
    assert set(_ids(alice, "harbour", organisation=government["transport"])) == {"en-1", "en-2"}
    record_mark_deleted(source="test", source_id="en-2", organisation=government["transport"],
                        record_type="published_post")
    assert _ids(alice, "harbour", deleted="yes") == ["en-2"]
    assert _ids(alice, "harbour", deleted="no") == ["en-1"]


def test_every_version_is_searched_and_a_record_is_listed_once(alice, capture, corpus):
    capture("en-1", "Road open again on Harbour Street", network_time=T0 + dt.timedelta(hours=2))
    assert _ids(alice, "storm") == ["en-1"]  # only the first version said it
    assert _ids(alice, "harbour street") == ["en-1"]  # both versions match: shown once


def test_paging_with_before(alice, capture):
    for n in range(5):
        capture(f"page-{n}", f"Ferry timetable number {n}")
    first = records_search(alice, "ferry", {}, page_size=2)
    assert [h.record.source_id for h in first.hits] == ["page-4", "page-3"]
    second = records_search(alice, "ferry", {}, page_size=2, before=first.next_before)
    assert [h.record.source_id for h in second.hits] == ["page-2", "page-1"]


@pytest.mark.parametrize(("query", "message"), [
    ('"road closed', "quotation mark is not closed"),
    ('""', "nothing between them"),
    ("road OR", "OR must stand between"),
    ("OR road", "OR must stand between"),
    ("road OR OR bus", "OR must stand between"),
    ("road OR -bus", "OR must stand between"),
    ("- road", "minus sign"),
    ("-road", "at least one word"),
    ("***", "no letters or digits"),
    ("", "at least one word"),
    ("x" * 501, "longer than"),
])
def test_bad_syntax_gives_a_clear_error(alice, corpus, query, message):
    with pytest.raises(ValidationError) as caught:
        records_search(alice, query, {})
    assert message in " ".join(caught.value.messages)


@pytest.mark.parametrize("query", [
    "NEAR(road street)", "search_text:road", "road*", "^road", "road AND", "(road", "road)",
    "NOT road", "{road}", "road + street", "'; DROP TABLE archive_record; --", "a\"b\"c",
])
def test_fts_operators_in_input_are_only_text(alice, corpus, query):
    # Whatever the user types is matched as words; it never becomes query syntax.
    with contextlib.suppress(ValidationError):  # a clear message is fine; a database error is not
        records_search(alice, query, {})
    assert records_search(alice, "road", {}).hits


def test_fts5_expression_quotes_every_phrase():
    expression = fts5_expression(parse_query('NEAR(a b) OR col:x -"y z"'))
    assert expression == '(("near a") AND ("b" OR "col x")) NOT "y z"'


def test_highlight_escapes_html_and_marks_matches():
    parsed = parse_query("harbour المدرسة 供水")
    snippet = str(highlight('<script>x</script> Harbour! المَدْرَسَةُ 下周供水', parsed))
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "<mark>Harbour</mark>" in snippet
    assert "<mark>المَدْرَسَةُ</mark>" in snippet
    assert "<mark>供水</mark>" in snippet


def test_highlight_cuts_long_texts_around_the_match():
    text = "word " * 200 + "needle " + "word " * 200
    snippet = str(highlight(text, parse_query("needle"), width=60))
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>needle</mark>" in snippet


# --- the console page ------------------------------------------------------------------


def test_search_page_shows_highlighted_results(client_for, rita, corpus):
    page = client_for(rita).get(reverse("archive:search"), {"q": "المدرسة"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "<mark>المَدْرَسَةُ</mark>" in body and "ar-1" in body


def test_search_page_bad_query_is_a_400_with_the_message(client_for, rita, corpus):
    page = client_for(rita).get(reverse("archive:search"), {"q": '"unclosed'})
    assert page.status_code == 400
    assert "quotation mark is not closed" in page.content.decode()
    bad_date = client_for(rita).get(reverse("archive:search"),
                                    {"q": "road", "date_from": "2026-13-45"})
    assert bad_date.status_code == 400


def test_saved_searches_are_per_user(client_for, rita, alice, corpus):
    client = client_for(rita)
    response = client.post(reverse("archive:search_save"),
                           {"name": "Storm", "search": "q=storm&network=mastodon"})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=rita)
    assert saved.query == "storm" and saved.filters == {"network": "mastodon"}
    page = client.get(reverse("archive:search")).content.decode()
    assert "Storm" in page
    duplicate = client.post(reverse("archive:search_save"),
                            {"name": "Storm", "search": "q=storm"}, follow=True)
    assert "already have a saved search" in duplicate.content.decode()
    bad = client.post(reverse("archive:search_save"), {"name": "Bad", "search": 'q="x'},
                      follow=True)
    assert "quotation mark is not closed" in bad.content.decode()
    assert not SavedSearch.objects.filter(name="Bad").exists()
    assert client_for(alice).post(
        reverse("archive:search_delete", args=[saved.pk])).status_code == 404
    assert client.post(reverse("archive:search_delete", args=[saved.pk])).status_code == 302
    assert not SavedSearch.objects.exists()


def test_search_page_needs_archive_access(client_for, bob):
    assert client_for(bob).get(reverse("archive:search"), {"q": "road"}).status_code == 403


def test_fts5_index_stays_in_step_with_the_versions(alice, corpus, capture):
    if connection.vendor != "sqlite":
        pytest.skip("FTS5 is SQLite's index; PostgreSQL indexes the column itself")
    capture("en-1", "Road open again", network_time=T0 + dt.timedelta(hours=2))
    with connection.cursor() as cursor:
        # Compares every indexed row with the content table; raises when they differ.
        cursor.execute("INSERT INTO archive_version_fts(archive_version_fts, rank) "
                       "VALUES ('integrity-check', 1)")
