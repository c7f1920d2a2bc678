"""The demo queries match what the sandbox simulator's residents write."""

from __future__ import annotations

import pytest

from townsquare.listening.demo import DEMO_QUERIES, listening_demo_load
from townsquare.listening.models import AlertRule, SavedQuery
from townsquare.listening.query import document, matches, parse
from townsquare.nlp.enrichment import enrich
from townsquare.sandbox.messages import TEMPLATES

FILL = {"place": "Marina", "number": "12", "time": "40 minutes"}


def _matches(query: str, text: str) -> bool:
    e = enrich(text, with_sentiment=False)
    return matches(parse(query), document(e.search_text, hashtags=e.hashtags,
                                          mentions=e.mentions))


@pytest.mark.parametrize(("topic", "category"), [("transport", "complaint"),
                                                 ("transport", "rumour"),
                                                 ("health", "complaint"),
                                                 ("health", "rumour")])
@pytest.mark.parametrize("language", ["en", "ar", "zh"])
def test_demo_queries_match_the_simulators_messages(topic, category, language):
    query = next(q for slug, _name, q in DEMO_QUERIES if slug == topic)
    for template in TEMPLATES[topic][category][language]:
        text = template.format(**FILL)
        assert _matches(query, text), text


def test_demo_query_ignores_other_topics():
    query = DEMO_QUERIES[0][2]
    for template in TEMPLATES["water"]["complaint"]["en"]:
        assert not _matches(query, template.format(**FILL))


@pytest.mark.django_db
def test_demo_load_is_idempotent():
    from townsquare.organisations.demo import demo_load

    demo_load()
    assert listening_demo_load().queries == 2
    assert listening_demo_load().queries == 0
    assert SavedQuery.objects.count() == 2
    assert AlertRule.objects.count() == 2


@pytest.mark.django_db
def test_spike_command_posts_public_messages_the_demo_query_matches(settings, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from townsquare.sandbox import services
    from townsquare.sandbox.models import SandboxStatus

    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(CommandError):
        call_command("listening_spike", count=5)  # no sandbox yet: a clear error
    services.sandbox_setup()
    with pytest.raises(CommandError):
        call_command("listening_spike", count=0)
    with pytest.raises(CommandError):
        call_command("listening_spike", topic="nothing")
    call_command("listening_spike", count=12, stdout=StringIO())
    posted = list(SandboxStatus.objects.filter(account__is_agency=False))
    assert len(posted) == 12
    query = DEMO_QUERIES[0][2]
    assert all(_matches(query, status.text) for status in posted)
