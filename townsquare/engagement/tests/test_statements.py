# ruff: noqa: F811 (the shared fixtures are imported from consultation_helpers by name)
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from townsquare.engagement.consultation_models import StatementVote
from townsquare.engagement.services import consultations as service
from townsquare.engagement.services import participation

from .consultation_helpers import consultation, make_consultation, url  # noqa: F401


@pytest.fixture
def statements(consultation, alice):
    return [service.statement_seed(actor=alice, consultation=consultation, text=text)
            for text in ("Night buses matter", "Fares are too high", "Routes are confusing")]


def test_votes_are_one_per_person_and_can_change(consultation, statements):
    first = statements[0]
    client = Client()
    assert client.post(url("consultation_vote", consultation.slug),
                       {"statement": first.pk, "vote": "1"}).status_code == 302
    client.post(url("consultation_vote", consultation.slug), {"statement": first.pk, "vote": "-1"})
    assert StatementVote.objects.get().vote == -1
    for bad in ({"statement": first.pk, "vote": "2"}, {"statement": first.pk, "vote": "yes"},
                {"statement": "999999", "vote": "1"}, {"statement": "<b>", "vote": "1"}):
        page = client.post(url("consultation_vote", consultation.slug), bad)
        assert page.status_code == 400, bad
    assert StatementVote.objects.count() == 1
    # htmx swaps just the statement in place.
    fragment = client.post(url("consultation_vote", consultation.slug),
                           {"statement": first.pk, "vote": "0"}, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert fragment.status_code == 200 and html.lstrip().startswith("<li")
    assert f'id="statement-{first.pk}"' in html and "<html" not in html
    assert StatementVote.objects.get().vote == 0


def test_a_statement_of_another_consultation_is_refused(consultation, statements, government,
                                                        alice):
    other = make_consultation(alice, government["transport"], title="Other")
    with pytest.raises(Exception, match="not available"):
        participation.statement_vote(consultation=other, voter_key="v",
                                     statement_id=statements[0].pk, vote=1)


def test_votes_after_close_are_refused(consultation, statements, alice):
    service.consultation_close_comments(actor=alice, consultation=consultation)
    page = Client().post(url("consultation_vote", consultation.slug),
                         {"statement": statements[0].pk, "vote": "1"})
    assert page.status_code == 403 and StatementVote.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_votes_from_one_person_count_once(government, alice):
    from django.core.cache import cache

    cache.clear()
    consultation = make_consultation(alice, government["transport"], title="Race")
    statement = service.statement_seed(actor=alice, consultation=consultation, text="Race?")
    if connection.vendor == "sqlite":
        # SQLite serialises writers, so threads cannot race there: force the race by
        # inserting the vote behind the service's back first.
        StatementVote.objects.create(statement=statement, consultation=consultation,
                                     voter_key="same", vote=1)
        participation.statement_vote(consultation=consultation, voter_key="same",
                                     statement_id=statement.pk, vote=-1)
        assert StatementVote.objects.get().vote == -1
    else:
        barrier = threading.Barrier(50)
        errors = []

        def vote(value):
            try:
                barrier.wait()
                participation.statement_vote(consultation=consultation, voter_key="same",
                                             statement_id=statement.pk, vote=value)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=vote, args=(1 if i % 2 else -1,)) for i in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    assert StatementVote.objects.filter(statement=statement).count() == 1


def test_the_opinion_page_shows_groups_consensus_and_a_table(consultation, statements, alice,
                                                             client_for):
    more = [service.statement_seed(actor=alice, consultation=consultation, text=f"Idea {i}")
            for i in range(3)]
    everything = statements + more
    # Two planted camps: they agree on the first statement (consensus) and split on the rest.
    for person in range(30):
        camp = person % 2
        for index, statement in enumerate(everything):
            vote = 1 if index == 0 else (1 if (index % 2) == camp else -1)
            participation.statement_vote(consultation=consultation, voter_key=f"p{person}",
                                         statement_id=statement.pk, vote=vote)
    page = client_for(alice).get(reverse("engagement:consultation_opinion",
                                         args=[consultation.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Group A" in html and "Group B" in html and "Group C" not in html
    consensus = html.split("Consensus: every group agrees")[1].split("Divisive")[0]
    assert "Night buses matter" in consensus
    assert "100% agree, 0% disagree" in html
    assert 'role="img"' in html or "ts-chart-wrap" in html


def test_the_opinion_page_says_when_there_is_not_enough_data(consultation, statements, alice,
                                                             client_for):
    for statement in statements:
        participation.statement_vote(consultation=consultation, voter_key="only",
                                     statement_id=statement.pk, vote=1)
    html = client_for(alice).get(reverse("engagement:consultation_opinion",
                                         args=[consultation.pk])).content.decode()
    assert "Not enough people have voted" in html
