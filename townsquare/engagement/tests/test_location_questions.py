import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from townsquare.engagement.location import area_table
from townsquare.engagement.models import Answer, Response
from townsquare.engagement.services import builder

from .conftest import options


@pytest.fixture
def location_survey(government, alice, fresh_cache):
    survey = builder.survey_create(actor=alice, organisation=government["transport"],
                                   title="Potholes")
    page = builder.section_add(actor=alice, survey=survey, title="Where")
    builder.question_add(actor=alice, section=page, kind="location", key="where",
                         text="Where is the pothole?", required=True,
                         options=options("North", "South", "East"))
    return builder.survey_publish(actor=alice, survey=survey)


def url(name, *args):
    return reverse(f"engagement_public:{name}", args=args)


def answer(survey, data, client=None):
    client = client or Client()
    assert client.post(url("survey", survey.slug)).status_code == 302
    return client, client.post(url("page", survey.slug, 1), data)


def test_area_place_and_rounded_coordinates_are_stored(location_survey):
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    assert client.post(url("survey", location_survey.slug)).status_code == 302
    page = client.get(url("page", location_survey.slug, 1)).content.decode()
    # Usable without JavaScript and labelled for screen readers; the script is a file.
    assert '<legend' in page and 'for="q-where-area"' in page and 'for="q-where-lat"' in page
    assert 'data-use-location hidden' in page and "townsquare/location.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.split("</head>")[1])
    sent = client.post(url("page", location_survey.slug, 1), {
        "q-where-area": "north", "q-where-place": "Near the old mill\x00",
        "q-where-lat": "51.501234", "q-where-lon": "-0,142789"})
    assert sent.status_code == 302, sent.content.decode()[:1500]
    assert Answer.objects.get().value == {"area": "north", "place": "Near the old mill",
                                          "lat": 51.501, "lon": -0.143}
    again = client.get(url("page", location_survey.slug, 1)).content.decode()
    assert re.search(r'value="north"\s+selected', again) and 'value="51.501"' in again


@pytest.mark.parametrize(("data", "message"), [
    ({"q-where-lat": "91", "q-where-lon": "0"}, "latitude as a number from -90 to 90"),
    ({"q-where-lat": "10", "q-where-lon": "-180.5"}, "longitude as a number from -180"),
    ({"q-where-lat": "NaN", "q-where-lon": "1"}, "latitude as a number"),
    ({"q-where-lat": "inf", "q-where-lon": "1"}, "latitude as a number"),
    ({"q-where-lat": "north-ish", "q-where-lon": "1"}, "latitude as a number"),
    ({"q-where-lat": "10"}, "both the latitude and the longitude"),
    ({"q-where-area": "atlantis"}, "Choose an area from the list"),
    ({"q-where-place": "x" * 301}, "under 300 characters"),
])
def test_bad_locations_are_refused_and_typed_values_kept(location_survey, data, message):
    _client, page = answer(location_survey, {"q-where-place": "Typed", **data})
    assert page.status_code == 400
    body = page.content.decode()
    assert message in body
    if "q-where-place" not in data:
        assert 'value="Typed"' in body
    assert not Answer.objects.exists()


def test_an_empty_answer_to_a_required_location_is_refused(location_survey):
    _client, page = answer(location_survey, {})
    assert page.status_code == 400 and "Answer this question" in page.content.decode()


def test_results_count_areas_with_small_counts_hidden_and_csv_lists_places(
        location_survey, alice, client_for, settings):
    settings.ENGAGEMENT_SMALL_CELL_K = 3
    for area, count in (("north", 4), ("south", 3), ("east", 1)):
        for _n in range(count):
            client, _page = answer(location_survey, {"q-where-area": area,
                                                     "q-where-place": f"{area} road"})
            client.post(url("review", location_survey.slug))
    assert Response.objects.filter(submitted_at__isnull=False).count() == 8
    question = location_survey.questions.get()
    values = list(Answer.objects.values_list("value", flat=True))
    table = area_table(question, values, 3)
    # East (1) is under k; South is hidden too, or East could be worked out from the total.
    assert table["rows"] == [("North", 4), ("South", None), ("East", None)]
    assert table["with_place"] == 8 and table["with_coordinates"] == 0
    page = client_for(alice).get(reverse("engagement:results", args=[location_survey.pk]))
    body = page.content.decode()
    assert "Answers per area" in body and "8 people typed an address" in body
    export = client_for(alice).get(reverse("engagement:export", args=[location_survey.pk]))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert "area=east; place=east road" in [cell for row in rows for cell in row]


def test_areas_are_optional_and_kept_by_the_builder(government, alice, fresh_cache):
    survey = builder.survey_create(actor=alice, organisation=government["transport"],
                                   title="Anywhere")
    page = builder.section_add(actor=alice, survey=survey, title="P")
    free = builder.question_add(actor=alice, section=page, kind="location", text="Where?")
    assert not free.choices.exists()
    builder.question_update(actor=alice, question=free, text="Where?",
                            options=options("Harbour"))
    assert [c.label for c in free.choices.all()] == ["Harbour"]
