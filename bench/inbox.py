"""Inbox queries at scale: queues, keyset pages, filters, search, live updates.

BENCH_INBOX_CONVERSATIONS (default 1,000,000) synthetic conversations are loaded in bulk
(executemany straight into the tables, not the services: this measures reading, not
ingest): eight agencies with three teams each under one government and its
communications office, every status, priorities, emergencies, triage, assignments, SLA
due and warning times, English, Arabic and Chinese texts (the archive benchmark's
generator), 1–3 messages each, indexed for search as the services index them. Then the
main inbox queries run through the console's own selectors (queue_scope, queue_filter,
queue_page, queue_counts, queue_new_since, conversation_messages, messages_after) as a
responder of one agency and as the communications office's analyst, who sees all.
Each query runs BENCH_INBOX_REPEATS times (default 5, the first warms the caches and is
not counted); median and 95th percentile per query and overall, against the 100 ms
target. The baseline, measured in the same process on the same data, is what the queue
did before: OFFSET pagination with an exact COUNT(*) per tab and a LIKE scan for words.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from typing import Any

TARGET_MS = 100
AGENCIES = 8
TEAMS_PER_AGENCY = 3
STAFF_PER_AGENCY = 6
CHANNELS = ("mastodon", "bluesky", "x", "facebook", "telegram", "web", "phone",
            "service_centre")
# (status, share) of older conversations; the newest tenth is mostly still open.
OLD_STATUSES = (("closed", 55), ("resolved", 35), ("open", 5), ("waiting_on_citizen", 3),
                ("new", 2))
RECENT_STATUSES = (("new", 30), ("open", 30), ("waiting_on_citizen", 10), ("resolved", 20),
                   ("closed", 10))
CHUNK = 20_000


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _setup(tag: str) -> dict[str, Any]:
    from townsquare.organisations.models import OrganisationKind as K
    from townsquare.organisations.services import (
        membership_grant,
        organisation_create,
        staff_user_create,
        team_create,
    )

    gov = organisation_create(actor=None, kind=K.GOVERNMENT, name=f"Inbox Bench {tag}",
                              slug=f"ib-{tag}")
    office = organisation_create(actor=None, kind=K.OFFICE, name=f"Office {tag}", parent=gov,
                                 slug=f"ib-office-{tag}", sees_all_organisations=True)
    agencies, teams, staff = [], [], []
    for a in range(AGENCIES):
        agency = organisation_create(actor=None, kind=K.AGENCY, name=f"Agency {a} {tag}",
                                     parent=gov, slug=f"ib-{a}-{tag}")
        agencies.append(agency)
        teams.append([team_create(actor=None, organisation=agency, name=f"Team {t}")
                      for t in range(TEAMS_PER_AGENCY)])
        people = []
        for s in range(STAFF_PER_AGENCY):
            user = staff_user_create(actor=None, username=f"ib{tag}a{a}s{s}",
                                     email=f"ib{tag}a{a}s{s}@example.org",
                                     password=f"Bench-{random.randrange(10**12)}-Q7")
            membership_grant(actor=None, user=user, organisation=agency, role="responder",
                             team=teams[-1][s % TEAMS_PER_AGENCY])
            people.append(user)
        staff.append(people)
    analyst = staff_user_create(actor=None, username=f"ib{tag}analyst",
                                email=f"ib{tag}analyst@example.org",
                                password=f"Bench-{random.randrange(10**12)}-Q7")
    membership_grant(actor=None, user=analyst, organisation=office, role="analyst")
    return {"gov": gov, "office": office, "agencies": agencies, "teams": teams,
            "staff": staff, "analyst": analyst}


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    roll = rng.randrange(100)
    for value, share in table:
        if roll < share:
            return value
        roll -= share
    return table[-1][0]


def _tracking(k: int, tag: str) -> str:
    from townsquare.inbox.tracking import ALPHABET, _check_character, _formatted

    body = ""
    # 7919 is prime to 30**6, so k -> n is one-to-one: a unique number per conversation.
    n = (k * 7919 + int(tag)) % len(ALPHABET) ** 6
    for _ in range(6):
        body += ALPHABET[n % len(ALPHABET)]
        n //= len(ALPHABET)
    return _formatted(body + _check_character(body))


def _insert_sql(model: Any, columns: list[str]) -> str:
    quoted = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    return f'INSERT INTO "{model._meta.db_table}" ({quoted}) VALUES ({marks})'  # noqa: S608


def _defaults(model: Any, connection: Any) -> dict[str, Any]:
    """Every concrete column's default, ready for the database (new fields included)."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        # get_default: the declared default, else "" for NOT NULL text, else None.
        values[field.column] = field.get_db_prep_save(field.get_default(), connection)
    return values


def _conversation(rng: random.Random, k: int, n: int, *, world: dict[str, Any], texts: Any,
                  tag: str, when: dt.datetime, adapt: Any) -> tuple[dict[str, Any], list[Any]]:
    """The columns of the k-th conversation that differ from the defaults, and its texts."""
    when += dt.timedelta(seconds=rng.randrange(600))
    status = _pick(rng, RECENT_STATUSES if k >= n * 0.9 else OLD_STATUSES)
    is_open = status in ("new", "open", "waiting_on_citizen")
    triage = rng.random() < 0.02
    a = rng.randrange(AGENCIES)
    organisation = world["office"] if triage else world["agencies"][a]
    team = None if triage or rng.random() < 0.3 else rng.choice(world["teams"][a])
    assigned = status != "new" and not triage and rng.random() < 0.7
    assignee = rng.choice(world["staff"][a]) if assigned else None
    roll = rng.random()
    bodies = [next(texts) for _ in range(rng.choice((1, 1, 2, 3)))]
    language = bodies[0][2]
    due = when + dt.timedelta(hours=8)
    resolution_due = when + dt.timedelta(hours=40)
    return {
        "created_at": adapt(when), "updated_at": adapt(when),
        "tracking_number": _tracking(k, tag), "organisation_id": organisation.pk,
        "team_id": team.pk if team else None, "account_id": None,
        "channel": CHANNELS[k % len(CHANNELS)],
        "status": status, "priority": 2 if roll < 0.03 else 1 if roll < 0.15 else 0,
        "is_emergency": rng.random() < 0.005, "is_spam": rng.random() < 0.01,
        "in_triage": triage, "routed_by": "triage" if triage else "account",
        "assignee_id": assignee.pk if assignee else None,
        "language": "zh-hans" if language == "zh" else language,
        "last_message_at": adapt(when),
        "sla_first_response_due": adapt(due) if is_open else None,
        "sla_first_response_warn_at": adapt(due - dt.timedelta(hours=1.6)) if is_open else None,
        "sla_resolution_due": adapt(resolution_due) if is_open else None,
        "sla_resolution_warn_at": adapt(resolution_due - dt.timedelta(hours=8))
        if is_open else None,
    }, bodies


def load(n: int, world: dict[str, Any], tag: str) -> tuple[float, int]:
    """Bulk-load ``n`` conversations with 1–3 messages each; (seconds, messages)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.archive import _bench_texts
    from townsquare.inbox.models import Contact, Conversation, Message

    rng = random.Random(5)
    adapt = connection.ops.adapt_datetimefield_value
    now = timezone.now()
    start_time = now - dt.timedelta(days=730)
    step = (now - start_time) / n
    conversation_defaults, message_defaults = (_defaults(Conversation, connection),
                                               _defaults(Message, connection))
    conversation_columns, message_columns = list(conversation_defaults), list(message_defaults)
    contact_sql = _insert_sql(Contact, ["created_at", "updated_at", "display_name", "language"])
    conversation_sql = _insert_sql(Conversation, conversation_columns)
    message_sql = _insert_sql(Message, message_columns)
    texts = _bench_texts(3 * n, rng)
    started, vendor = time.perf_counter(), connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":  # build the GIN index once at the end, as a restore would
            cursor.execute("DROP INDEX IF EXISTS inbox_message_search_gin")
    messages_total = 0
    contacts_per_chunk = CHUNK // 4  # a quarter of conversations are a first contact
    for chunk_start in range(0, n, CHUNK):
        size = min(CHUNK, n - chunk_start)
        with transaction.atomic(), connection.cursor() as cursor:
            stamp = adapt(now)
            cursor.executemany(contact_sql, [(stamp, stamp, f"Citizen {chunk_start + i}", "")
                                             for i in range(contacts_per_chunk)])
            cursor.execute("SELECT MAX(id) FROM inbox_contact")
            last_contact = cursor.fetchone()[0]
            first_contact = last_contact - contacts_per_chunk + 1
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM inbox_conversation")
            first_conversation = cursor.fetchone()[0] + 1
            conversations, messages = [], []
            for i in range(size):
                row, bodies = _conversation(rng, chunk_start + i, n, world=world, texts=texts,
                                            tag=tag, when=start_time + step * (chunk_start + i),
                                            adapt=adapt)
                row["contact_id"] = first_contact + rng.randrange(contacts_per_chunk)
                conversations.append([{**conversation_defaults, **row}[c]
                                      for c in conversation_columns])
                for m, (content, indexed, message_language) in enumerate(bodies):
                    message = {
                        **message_defaults, "conversation_id": first_conversation + i,
                        "direction": "in" if m % 2 == 0 else "out", "text": content,
                        "search_text": indexed, "language": message_language,
                        "created_at": row["created_at"],
                    }
                    messages.append([message[c] for c in message_columns])
            cursor.executemany(conversation_sql, conversations)
            cursor.execute("SELECT MAX(id) FROM inbox_conversation")
            if cursor.fetchone()[0] != first_conversation + size - 1:
                raise RuntimeError("conversation ids are not consecutive; run on an idle database")
            cursor.executemany(message_sql, messages)
            messages_total += len(messages)
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("INSERT INTO inbox_message_fts(inbox_message_fts) VALUES ('optimize')")
        elif vendor == "postgresql":
            # The stored vector column of migration 0006, as the migration indexes it.
            cursor.execute("CREATE INDEX inbox_message_search_gin ON inbox_message "
                           "USING GIN (search_vector)")
        cursor.execute("ANALYZE")
    return time.perf_counter() - started, messages_total


def _reuse() -> dict[str, Any] | None:
    """The world of the newest earlier run in this database, or None: a database loaded
    once (tens of minutes at 1 M) can be measured again after a change."""
    from townsquare.organisations.models import Organisation, Team, User

    gov = Organisation.objects.filter(slug__startswith="ib-", parent=None).order_by("-pk").first()
    if gov is None:
        return None
    tag = gov.slug.removeprefix("ib-")
    agencies = [Organisation.objects.get(slug=f"ib-{a}-{tag}") for a in range(AGENCIES)]
    return {
        "gov": gov, "office": Organisation.objects.get(slug=f"ib-office-{tag}"),
        "agencies": agencies,
        "teams": [list(Team.objects.filter(organisation=a).order_by("pk")) for a in agencies],
        "staff": [[User.objects.get(username=f"ib{tag}a{a}s{s}") for s in range(STAFF_PER_AGENCY)]
                  for a in range(AGENCIES)],
        "analyst": User.objects.get(username=f"ib{tag}analyst"),
    }


def _queries(world: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, callable) pairs: each callable runs one inbox query through the selectors
    the console uses and returns the rows."""
    from townsquare.inbox.models import Conversation
    from townsquare.inbox.selectors import (
        QueueCursor,
        QueueFilters,
        conversation_messages,
        messages_after,
        queue_counts,
        queue_listing,
        queue_new_since,
        queue_page,
    )

    responder = world["staff"][0][0]
    analyst = world["analyst"]
    team = world["teams"][0][1]

    def page(user: Any, queue: str = "all", **filters: Any) -> Any:
        return lambda: queue_page(queue_listing(user, queue, QueueFilters(**filters)))

    def deep(user: Any, pages: int) -> Any:
        current = page(user)()
        cursor = ""
        for _ in range(pages):
            if not current.next_cursor:
                raise RuntimeError(f"fewer than {pages + 1} pages in the queue")
            cursor = current.next_cursor
            current = queue_page(queue_listing(user, "all", QueueFilters()),
                                 after=QueueCursor.decode(cursor))
        return lambda: queue_page(queue_listing(user, "all", QueueFilters()),
                                  after=QueueCursor.decode(cursor))

    sample = Conversation.objects.filter(organisation=world["agencies"][0]).order_by(
        "-last_message_at").values_list("pk", "tracking_number").first()
    if sample is None:
        raise RuntimeError("no conversation loaded")
    conversation = Conversation.objects.get(pk=sample[0])
    a_minute_ago = conversation.last_message_at - dt.timedelta(minutes=1)

    return [
        ("queue, first page", page(responder)),
        ("queue, page 2 (keyset)", deep(responder, 1)),
        ("queue, page 40 (keyset)", deep(responder, 39)),
        ("queue: new", page(responder, "new")),
        ("queue: assigned to me", page(responder, "mine")),
        ("queue: unassigned", page(responder, "unassigned")),
        ("queue: emergencies", page(responder, "emergency")),
        ("queue: overdue", page(responder, "overdue")),
        ("queue: due soon", page(responder, "due_soon")),
        ("queue: closed", page(responder, "closed")),
        ("triage (office analyst)", page(analyst, "triage")),
        ("all agencies (office analyst)", page(analyst)),
        ("filter: status waiting", page(responder, status="waiting_on_citizen")),
        ("filter: urgent priority", page(responder, priority=2)),
        ("filter: channel telegram", page(responder, channel="telegram")),
        ("filter: language zh", page(responder, language="zh")),
        ("filter: team", page(responder, team=team)),
        ("filter: team+zh+telegram", page(responder, team=team, language="zh",
                                          channel="telegram")),
        ("search: tracking number", page(responder, query=sample[1].lower())),
        ("search: rare word", page(responder, query="ref12345")),
        ("search: common word", page(responder, query="harbour")),
        ("search: two words", page(responder, query="bus delay")),
        ("search: arabic", page(responder, query="الميناء")),
        ("search: chinese", page(responder, query="供水")),
        ("search: all agencies", page(analyst, query="ferry")),
        ("tab counts (capped)", lambda: queue_counts(responder, QueueFilters())),
        ("conversation messages", lambda: list(conversation_messages(conversation))),
        ("poll: conversation", lambda: messages_after(conversation, 0)),
        ("poll: queue news", lambda: queue_new_since(
            queue_listing(responder, "all", QueueFilters()).conversations, a_minute_ago)),
    ]


def _baseline(world: dict[str, Any]) -> list[tuple[str, Any]]:
    """What the queue did before this work: OFFSET pages, exact counts, LIKE search."""
    from django.core.paginator import Paginator
    from django.db.models import Exists, OuterRef

    from townsquare.inbox.models import Message
    from townsquare.inbox.selectors import QUEUES, QueueFilters, queue_filter, queue_scope

    responder = world["staff"][0][0]

    def listed(query: str = "") -> Any:
        scoped = queue_scope(responder, QueueFilters())
        if query:
            words = Message.objects.filter(conversation=OuterRef("pk"), text__icontains=query)
            scoped = scoped.filter(Exists(words))
        return queue_filter(scoped, "all", responder).order_by(
            "-priority", "-last_message_at", "-id")

    return [
        ("before: page 40 by OFFSET", lambda: list(Paginator(listed(), 25).get_page(40))),
        ("before: exact tab counts", lambda: [
            queue_filter(queue_scope(responder, QueueFilters()), q, responder).count()
            for q in QUEUES if q != "closed"]),
        ("before: LIKE search", lambda: list(listed("harbour")[:25])),
    ]


def _time(label: str, run: Any, repeats: int, timings: list[float] | None,
          cpu: list[float] | None = None) -> float:
    runs, cpu_runs = [], []
    for repeat in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        elapsed = time.perf_counter() - started
        if repeat:  # the first run of each query warms the caches
            runs.append(elapsed)
            cpu_runs.append(time.process_time() - started_cpu)
    if timings is not None:
        timings.extend(runs)
    if cpu is not None:
        cpu.extend(cpu_runs)
    median, p95 = statistics.median(runs), _percentile(runs, 0.95)
    flag = "" if p95 * 1000 < TARGET_MS else "  (over target)"
    print(f"[inbox]   {label:<32} median {median * 1000:7.1f} ms, "
          f"p95 {p95 * 1000:7.1f} ms (CPU {statistics.median(cpu_runs) * 1000:5.1f} ms){flag}")
    return p95


def run() -> None:
    from django.db import connection

    n = int(os.environ.get("BENCH_INBOX_CONVERSATIONS", "1000000"))
    repeats = max(2, int(os.environ.get("BENCH_INBOX_REPEATS", "5")))
    world = _reuse() if os.environ.get("BENCH_INBOX_REUSE") else None
    if world is None:
        tag = str(random.randrange(10**6))
        world = _setup(tag)
        seconds, messages = load(n, world, tag)
        print(f"[inbox] loaded {n:,} conversations and {messages:,} messages in {seconds:.0f} s "
              f"({n / seconds:,.0f} conversations/s, bulk path) on {connection.vendor}")
    else:
        from townsquare.inbox.models import Conversation

        n = Conversation.objects.filter(organisation__path__startswith=world["gov"].path).count()
        print(f"[inbox] reusing the {n:,} conversations an earlier run loaded "
              f"(BENCH_INBOX_REUSE) on {connection.vendor}")
    from townsquare.inbox.selectors import QueueFilters, queue_listing, queue_page

    # The search index must be complete, or the search figures would be meaningless.
    found = queue_page(queue_listing(world["analyst"], "all", QueueFilters(query="harbour")))
    if not found.conversations:
        raise RuntimeError("the search index is empty: the timings would mean nothing")
    timings: list[float] = []
    cpu: list[float] = []  # this process's CPU time: what a query costs on a free core
    over = []
    for label, query in _queries(world):
        if _time(label, query, repeats, timings, cpu) * 1000 >= TARGET_MS:
            over.append(label)
    median, p95 = statistics.median(timings), _percentile(timings, 0.95)
    print(f"[inbox] all queries over {n:,} conversations: median {median * 1000:.1f} ms, "
          f"95th percentile {p95 * 1000:.1f} ms (target under {TARGET_MS} ms); CPU time "
          f"of this process per query: median {statistics.median(cpu) * 1000:.1f} ms, "
          f"95th percentile {_percentile(cpu, 0.95) * 1000:.1f} ms"
          + (f"; over target: {', '.join(over)}" if over else ""))
    if os.environ.get("BENCH_INBOX_BASELINE", "1") != "0":
        print("[inbox] baseline, same data (the queue before keyset pages and the index):")
        for label, query in _baseline(world):
            _time(label, query, 2, None)
