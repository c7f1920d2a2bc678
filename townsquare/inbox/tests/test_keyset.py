"""Queue pages by keyset: every conversation exactly once, in order, ties included; the
filters, the search index and the capped counts behind the queue page."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.urls import reverse

from townsquare.inbox import selectors
from townsquare.inbox.models import Contact, Conversation, Message, Status
from townsquare.inbox.search import message_search_text
from townsquare.inbox.selectors import (
    QueueCursor,
    QueueFilters,
    queue_counts,
    queue_listing,
    queue_page,
)

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
_numbers = itertools.count(1)


def make(organisation, *, minutes=0, texts=(), **fields):
    contact = Contact.objects.create(display_name="Citizen")
    conversation = Conversation.objects.create(
        tracking_number=f"TS-TEST-{next(_numbers):03d}", organisation=organisation,
        channel=fields.pop("channel", "mastodon"), contact=contact, routed_by="account",
        last_message_at=T0 + dt.timedelta(minutes=minutes), **fields)
    for text in texts:
        Message.objects.create(conversation=conversation, direction="in", text=text,
                               search_text=message_search_text(text))
    return conversation


def walk(user, queue="all", size=7, **filters):
    """Every page of a queue, following the "more" cursors: the ids in order."""
    seen, after, pages = [], None, 0
    while True:
        page = queue_page(queue_listing(user, queue, QueueFilters(**filters)), after=after,
                          size=size)
        seen.extend(c.pk for c in page.conversations)
        pages += 1
        assert pages < 100, "the cursor does not advance"
        if not page.next_cursor:
            return seen
        after = QueueCursor.decode(page.next_cursor)


def expected(conversations):
    ordered = sorted(conversations, key=lambda c: (c.priority, c.last_message_at, c.pk),
                     reverse=True)
    return [c.pk for c in ordered]


@pytest.fixture
def many(government):
    """40 open conversations of Transport in three statuses, with ties: groups of five
    share a last-message time, and two priorities."""
    transport = government["transport"]
    statuses = [Status.NEW, Status.OPEN, Status.WAITING]
    made = [make(transport, minutes=(n // 5), priority=1 if n % 7 == 0 else 0,
                 status=statuses[n % 3]) for n in range(40)]
    make(government["health"], minutes=100)  # another agency's: never listed for bob
    make(transport, minutes=50, status=Status.CLOSED)  # closed: not in the open queue
    return made


def test_partitioned_pages_list_each_conversation_once_in_order_with_ties(bob, many):
    listing = queue_listing(bob, "all", QueueFilters())
    assert listing.partitions, "an agency's queue is read by (organisation, status)"
    assert walk(bob) == expected(many)
    # Any page size, including one that splits every group of ties.
    assert walk(bob, size=5) == walk(bob, size=1) == expected(many)


def test_one_walk_for_someone_who_sees_every_organisation(dana, many, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_PARTITIONS", 2)
    assert not queue_listing(dana, "all", QueueFilters()).partitions
    visible = list(Conversation.objects.filter(status__in=selectors.OPEN_STATUSES))
    assert walk(dana) == expected(visible)


def test_rows_arriving_between_pages_neither_repeat_nor_go_missing(bob, many, government):
    first = queue_page(queue_listing(bob, "all", QueueFilters()), size=10)
    newcomer = make(government["transport"], minutes=500, status=Status.NEW, priority=1)
    rest = walk(bob)  # from the top again: the newcomer is first
    assert rest[0] == newcomer.pk
    after = QueueCursor.decode(first.next_cursor)
    second = queue_page(queue_listing(bob, "all", QueueFilters()), after=after, size=10)
    assert [c.pk for c in second.conversations] == expected(many)[10:20]


def test_cursor_round_trip_and_refusals():
    cursor = QueueCursor(priority=2, last_message_at=T0 + dt.timedelta(microseconds=7), id=42)
    assert QueueCursor.decode(cursor.encode()) == cursor
    for bad in ("", "1.2", "a.b.c", "1.2.3.4", "-1.5.6", "1.99999999999999999999.3", "１.2.3"):
        with pytest.raises(ValueError, match="not a queue cursor"):
            QueueCursor.decode(bad)


def test_queue_page_has_more_links_and_no_page_count(client_for, bob, many):
    c = client_for(bob)
    first = c.get(reverse("inbox:queue"))
    body = first.content.decode()
    assert first.status_code == 200
    assert "More conversations" in body and "Page 1 of" not in body
    assert "townsquare/inbox.js" in body and "<script>" not in body
    cursor = first.context["page"].next_cursor
    second = c.get(reverse("inbox:queue"), {"queue": "all", "after": cursor})
    shown = [conversation.pk for conversation in second.context["page"].conversations]
    assert shown == expected(many)[25:40]
    assert "Back to the top of the queue" in second.content.decode()


def test_a_broken_cursor_starts_from_the_top_with_a_message(client_for, bob, many):
    response = client_for(bob).get(reverse("inbox:queue"), {"after": "12.not-a-cursor"})
    assert response.status_code == 200
    assert "starts again from the top" in response.content.decode()
    assert [c.pk for c in response.context["page"].conversations] == expected(many)[:25]


def test_filters_priority_language_team_channel(bob, government):
    transport = government["transport"]
    buses = government["buses"]
    urgent = make(transport, priority=2)
    chinese = make(transport, language="zh-hans")
    english = make(transport, language="en-GB", channel="telegram")
    in_team = make(transport, team=buses)
    assert walk(bob, priority=2) == [urgent.pk]
    assert walk(bob, language="zh") == [chinese.pk]
    assert walk(bob, language="en") == [english.pk]
    assert walk(bob, channel="telegram") == [english.pk]
    assert walk(bob, team=buses) == [in_team.pk]
    assert walk(bob, status=Status.WAITING) == []


def test_search_finds_words_in_three_languages_through_the_index(bob, carol, government):
    transport = government["transport"]
    bus = make(transport, texts=["The 42 BUS never came", "Still waiting"])
    arabic = make(transport, texts=["الحافلة رقم ١٢ متأخرة"])
    chinese = make(transport, texts=["下周二上午供水维修"])
    make(government["health"], texts=["bus to the hospital"])  # Health's: not bob's
    assert walk(bob, query="bus") == [bus.pk]
    assert walk(bob, query='"never came"') == [bus.pk]
    assert walk(bob, query="الحافلة") == [arabic.pk]
    assert walk(bob, query="供水") == [chinese.pk]
    # Words are matched per message: "never" is in the only message that says "bus".
    assert walk(bob, query="bus -never") == []
    # Not a real tracking number (no valid check character): searched as words.
    assert walk(bob, query=bus.tracking_number.lower()) == []
    assert len(walk(carol, query="bus")) == 1


def test_search_by_tracking_number(bob, conversation):
    number = conversation.tracking_number
    typed = number.lower().replace("-", " ")
    assert walk(bob, query=typed) == [conversation.pk]


def test_messages_stored_by_the_services_are_searchable(bob, conversation):
    # The conversation fixture goes through ingest (message_ingest), as real ones do.
    assert walk(bob, query="never came") == [conversation.pk]


def test_bad_search_gets_a_clear_message_and_keeps_the_query(client_for, bob, many):
    response = client_for(bob).get(reverse("inbox:queue"), {"q": '"unclosed'})
    body = response.content.decode()
    assert response.status_code == 200
    assert "quotation mark is not closed" in body
    assert 'value="&quot;unclosed"' in body
    assert response.context["page"] is None


def test_counts_stop_at_the_cap(client_for, bob, many, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    counts = queue_counts(bob, QueueFilters())
    assert counts["all"] == 6 and counts["emergency"] == 0
    monkeypatch.setattr("townsquare.inbox.queue_views.COUNT_CAP", 5)
    body = client_for(bob).get(reverse("inbox:queue")).content.decode()
    assert "All open (5+)" in body and "Emergencies (0)" in body


def test_sla_queues(bob, government):
    transport = government["transport"]
    now = T0 + dt.timedelta(days=1)
    overdue = make(transport, sla_first_response_due=now - dt.timedelta(minutes=1))
    soon = make(transport, sla_resolution_due=now + dt.timedelta(hours=2),
                sla_resolution_warn_at=now - dt.timedelta(minutes=5))
    make(transport, sla_first_response_due=now + dt.timedelta(hours=5),
         sla_first_response_warn_at=now + dt.timedelta(hours=4))  # neither yet
    with time_machine.travel(now, tick=False):
        assert walk(bob, "overdue") == [overdue.pk]
        assert walk(bob, "due_soon") == [soon.pk]
        counts = queue_counts(bob, QueueFilters())
    assert counts["overdue"] == 1 and counts["due_soon"] == 1


def test_search_triggers_come_back_after_a_table_rebuild(bob, government):
    """Django rebuilds an SQLite table to alter it, which drops its triggers; the
    post_migrate check puts them back and indexes what was stored meanwhile."""
    from django.db import connection

    from townsquare.inbox.search import TRIGGER_NAMES, sqlite_index_ensure

    if connection.vendor != "sqlite":
        assert sqlite_index_ensure(connection) is False
        return
    assert sqlite_index_ensure(connection) is False  # all in place after migrate
    with connection.cursor() as cursor:
        for name in TRIGGER_NAMES:
            cursor.execute(f"DROP TRIGGER {name}")
    missed = make(government["transport"], texts=["ferry timetable please"])
    assert walk(bob, query="ferry") == []
    assert sqlite_index_ensure(connection) is True
    assert walk(bob, query="ferry") == [missed.pk]
    later = make(government["transport"], texts=["another ferry question"])
    assert set(walk(bob, query="ferry")) == {missed.pk, later.pk}


def test_search_looks_at_the_newest_matching_messages(bob, government, monkeypatch):
    from townsquare.inbox import search

    older = make(government["transport"], texts=["ferry late"])
    newer = make(government["transport"], texts=["ferry cancelled"])
    assert set(walk(bob, query="ferry")) == {older.pk, newer.pk}
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 1)
    assert walk(bob, query="ferry") == [newer.pk]


@pytest.mark.parametrize(("older_matches", "fetch_cost"), [(1, 0.0), (6, 0.0), (1, 1e9),
                                                          (6, 1e9)])
def test_postgres_search_walks_the_newest_then_picks_a_plan_for_the_rest(
        bob, government, monkeypatch, older_matches, fetch_cost):
    """The newest window is walked first; what it did not find comes from the older
    messages, by walking on (a common word) or through the GIN index (a rare one). Both
    give the newest matches, in order, and the planner settings are put back."""
    from django.db import connection

    from townsquare.inbox import search

    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL search plan")
    monkeypatch.setattr(search, "NEWEST_WINDOW", 4)
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 5)
    # Free fetching takes the GIN index for the older messages, dear fetching the walk.
    monkeypatch.setattr(search, "FETCH_COST", fetch_cost)
    old = [make(government["transport"], minutes=-60 - i, texts=["ferry wharf"])
           for i in range(older_matches)]
    filler = [make(government["transport"], minutes=-30 - i, texts=["bus stop"])
              for i in range(3)]
    new = make(government["transport"], minutes=-1, texts=["ferry late"])
    assert filler
    ids = search.postgres_conversation_ids(search.parse_query("ferry"))
    expected_ids = [new.pk, *[c.pk for c in reversed(old)]][:5]
    assert ids == expected_ids
    assert search.postgres_conversation_ids(search.parse_query("nowhere")) == []
    with connection.cursor() as cursor:
        for setting in ("enable_bitmapscan", "enable_seqscan", "enable_indexscan"):
            cursor.execute(f"SHOW {setting}")
            assert cursor.fetchone()[0] == "on", setting
