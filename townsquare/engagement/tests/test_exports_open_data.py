"""The open-data JSON of published results: suppressed counts, metadata and licence, the
same document on the public API, and drafts that cannot be reached by guessing."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from townsquare.core.models import AuditEvent
from townsquare.engagement.exports import open_data
from townsquare.engagement.services.builder import survey_close

from .test_console import _paper


def _published_with_answers(survey, alice):
    _paper(survey, alice, 30, "north")
    _paper(survey, alice, 12, "south", happy="no", ideas="=HYPERLINK(\"http://x\")")
    _paper(survey, alice, 3, "east")
    return survey


def _question(document, key):
    return next(q for q in document["questions"] if q["key"] == key)


def _answers(question):
    return {a["value"]: (a["count"], a["share"]) for a in question["answers"]}


@pytest.mark.django_db
def test_open_data_numbers_with_small_cells_suppressed(survey, alice, settings):
    settings.ENGAGEMENT_SMALL_CELL_K = 10
    settings.ENGAGEMENT_OPEN_DATA_LICENCE = "CC0-1.0"
    settings.ENGAGEMENT_OPEN_DATA_LICENCE_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
    document = open_data(_published_with_answers(survey, alice))
    assert document["format"] == "townsquare.survey-results/1"
    assert document["licence"] == {"id": "CC0-1.0",
                                   "url": "https://creativecommons.org/publicdomain/zero/1.0/"}
    meta = document["survey"]
    assert meta["slug"] == survey.slug and meta["title"] == "Bus service survey"
    assert meta["translations"] == {"ar": "استبيان الحافلات"}
    assert meta["organisation"]["name"] == "Transport Agency"
    assert meta["status"] == "published" and meta["published_at"]
    assert document["responses"] == 45
    assert document["suppression"]["minimum_cell"] == 10

    happy = _question(document, "happy")
    assert happy["answered"] == 45
    assert _answers(happy) == {"yes": (33, round(33 / 45, 4)), "no": (12, round(12 / 45, 4))}
    assert happy["translations"] == {"ar": "هل أنت راضٍ؟"}
    # East (3 people) is hidden, and so is South: it would give East away from the total.
    region = _question(document, "region")
    assert _answers(region) == {"north": (30, round(30 / 45, 4)), "south": (None, None),
                                "east": (None, None)}
    # Multiple choice: shares of respondents, explained.
    channels = _question(document, "channels")
    assert _answers(channels) == {"radio": (45, 1.0), "x": (45, 1.0), "facebook": (0, 0.0)}
    assert "more than 1" in channels["note"]
    ranking = _question(document, "rank")
    assert _answers(ranking)["speed"] == (45, None)
    assert ranking["average_rank"] == {"speed": 1.0, "price": 2.0, "comfort": 3.0}
    # Free text is never open data, and nothing of it leaks into the document.
    assert _question(document, "ideas")["withheld"] is True
    assert "HYPERLINK" not in json.dumps(document)
    assert _question(document, "trips")["answered"] == 0


@pytest.mark.django_db
def test_a_question_answered_by_too_few_shows_no_numbers(survey, alice, settings):
    settings.ENGAGEMENT_SMALL_CELL_K = 10
    _paper(survey, alice, 4, "north")
    happy = _question(open_data(survey), "happy")
    assert happy["answered"] is None
    assert _answers(happy) == {"yes": (None, None), "no": (None, None)}


@pytest.mark.django_db
def test_the_public_api_serves_published_and_closed_surveys_only(survey, draft, alice,
                                                                  settings):
    settings.ENGAGEMENT_SMALL_CELL_K = 10
    _published_with_answers(survey, alice)
    client = Client()
    response = client.get(f"/api/v1/surveys/{survey.slug}/results")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["responses"] == 45 and body["licence"]["id"] == "CC-BY-4.0"
    region = _question(body, "region")
    assert [(a["value"], a["count"]) for a in region["answers"]] == [
        ("north", 30), ("south", None), ("east", None)]
    assert reverse("api:survey_results", args=[survey.slug]) == \
        f"/api/v1/surveys/{survey.slug}/results"
    survey_close(actor=alice, survey=survey)
    assert client.get(f"/api/v1/surveys/{survey.slug}/results").status_code == 200


@pytest.mark.django_db
def test_drafts_and_unknown_slugs_are_404_through_api_and_embeds(draft, government, alice):
    client = Client()
    for slug in (draft.slug, "no-such-survey"):
        response = client.get(f"/api/v1/surveys/{slug}/results")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    # Something that cannot be an address name is refused with the reason.
    for slug in ("x" * 81, "%00", "bus%20survey"):
        response = client.get(f"/api/v1/surveys/{slug}/results")
        assert response.status_code == 422, (slug, response.content)
        assert response.json()["error"]["code"] == "validation_error"
    for name in ("survey_embed", "survey"):
        page = client.get(reverse(f"engagement_public:{name}", args=[draft.slug]))
        assert page.status_code == 404


@pytest.mark.django_db
def test_staff_json_download_is_scoped_and_audited(client_for, survey, alice, carol):
    _published_with_answers(survey, alice)
    response = client_for(alice).get(reverse("engagement:export_json", args=[survey.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["responses"] == 45
    assert AuditEvent.objects.filter(action="survey.exported", details__format="json").exists()
    assert client_for(carol).get(
        reverse("engagement:export_json", args=[survey.pk])).status_code == 404
