"""Free-text answers on the results page: sentiment counts and topic clusters from
townsquare.nlp, with examples only for clusters of at least k answers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from townsquare.engagement.free_text import summarise

from .test_console import _paper

LATE = ["The bus is always late and the driver was rude",
        "Late bus again this morning, terrible",
        "My bus was late three times this week",
        "The late bus made me miss work, awful"]
CLEAN = ["The new bus station is clean and lovely", "Very clean station, great job",
         "Clean seats and a clean station, thank you"]


def test_clusters_by_shared_keyword_with_sentiment():
    summary = summarise(LATE + CLEAN + ["ok"], k=3)
    assert summary.answered == 8 and summary.analysed == 8
    assert sum(summary.sentiment.values()) == 8
    assert summary.sentiment["negative"] >= 3 and summary.sentiment["positive"] >= 2
    by_keyword = {c.keyword: c for c in summary.clusters}
    assert by_keyword["bus"].count + by_keyword.get("late", by_keyword["bus"]).count >= 4
    assert "clean" in by_keyword or "station" in by_keyword
    assert sum(c.count for c in summary.clusters) + summary.other == 8
    assert summary.other >= 1  # "ok" shares no keyword
    big = max(summary.clusters, key=lambda c: c.count)
    assert big.examples and not big.suppressed and len(big.examples) <= 3
    assert big.topic == "Transport"


def test_small_clusters_show_no_examples():
    summary = summarise(LATE[:2] + CLEAN, k=10)
    assert summary.clusters
    assert all(c.suppressed and c.examples == [] for c in summary.clusters)


@pytest.mark.parametrize("texts", [[], ["", "   "], ["😀😀"], ["x" * 5000], ["<script>"] * 3,
                                   ["\u202ereversed\u202c text", "\u200bzero width"]])
def test_odd_answers_never_crash(texts):
    summary = summarise(texts, k=2)
    assert summary.answered == len(texts)
    assert sum(summary.sentiment.values()) == summary.analysed


def test_examples_are_shortened():
    summary = summarise(["bus " * 200, "bus " * 200], k=2)
    [cluster] = summary.clusters
    assert all(len(example) <= 241 for example in cluster.examples)


@pytest.mark.django_db
def test_results_page_shows_free_text_analysis(client_for, survey, alice, settings):
    settings.ENGAGEMENT_SMALL_CELL_K = 3
    for text in LATE:
        _paper(survey, alice, 1, "north", ideas=text)
    _paper(survey, alice, 1, "north", ideas="<b>Clean</b> station")
    html = client_for(alice).get(reverse("engagement:results", args=[survey.pk])
                                 ).content.decode()
    assert "Sentiment of the answers" in html and "Topic clusters" in html
    assert "The bus is always late" in html
    assert "<b>Clean</b>" not in html  # escaped like every answer
