import csv
import io

import pytest
from django.urls import reverse

from townsquare.core.models import AuditEvent
from townsquare.engagement.analysis import crosstab, survey_results
from townsquare.engagement.demo import engagement_demo_load
from townsquare.engagement.models import Poll, Survey
from townsquare.engagement.services.responses import response_enter_paper

from .test_services import PAGE_ONE, form


def url(name, *args):
    return reverse(f"engagement:{name}", args=args)


def _paper(survey, alice, count, region, *, happy="yes", ideas=""):
    for _ in range(count):
        _response, errors = response_enter_paper(
            actor=alice, survey=survey,
            data=form(q_region=region, q_ideas=ideas, q_why="Late" if happy == "no" else "",
                      **{**PAGE_ONE, "q_happy": happy}))
        assert not errors, errors


def test_alice_builds_a_survey_from_a_template(client_for, alice, government, fresh_cache):
    client = client_for(alice)
    assert client.get(url("home")).status_code == 200
    assert client.get(url("survey_new") + "?template=impact").status_code == 200
    response = client.post(url("survey_new"), {"organisation": government["transport"].pk,
                                               "template": "impact",
                                               "respondent_mode": "anonymous"})
    survey = Survey.objects.get()
    assert response["Location"] == url("survey", survey.pk)
    page = client.get(url("survey", survey.pk)).content.decode()
    assert "How can the impact of social media" in page
    section = survey.sections.first()
    # A question with display logic that refers to nothing is refused with the reason.
    bad = client.post(url("question_new", section.pk), {
        "kind": "single", "text": "Bus or tram?", "options": "Bus\nTram",
        "options_ar": "حافلة\nترام", "max_length": 1000,
        "condition": '{"question": "nothing", "answered": true}'})
    assert bad.status_code == 200 and "earlier question" in bad.content.decode()
    bad = client.post(url("question_new", section.pk), {
        "kind": "single", "text": "Bus or tram?", "options": "Bus", "max_length": 1000,
        "condition": "{not json"})
    assert "not valid JSON" in bad.content.decode() or "two options" in bad.content.decode()
    ok = client.post(url("question_new", section.pk), {
        "kind": "single", "text": "Bus or tram?", "options": "bus|Bus\nTram",
        "options_ar": "حافلة\nترام", "max_length": 1000,
        "condition": '{"question": "frequency", "equals": "daily"}'})
    assert ok.status_code == 302
    question = survey.questions.get(text="Bus or tram?")
    assert [c.value for c in question.choices.all()] == ["bus", "tram"]
    assert question.choices.get(value="tram").translations["ar"]["label"] == "ترام"
    assert client.get(url("question_edit", question.pk)).status_code == 200
    arabic = client.get(url("preview", survey.pk) + "?language=ar").content.decode()
    assert "كيف يمكن قياس أثر" in arabic and 'dir="rtl"' in arabic and "حافلة" in arabic
    assert client.post(url("survey_action", survey.pk, "publish")).status_code == 302
    survey.refresh_from_db()
    assert survey.status == "published"
    assert client.post(url("question_action", question.pk, "delete")).status_code == 302
    assert survey.questions.filter(pk=question.pk).exists()  # published: structure is fixed


def test_the_agency_boundary(client_for, survey, bob, carol, dana):
    question = survey.questions.first()
    section = survey.sections.first()
    carol_client = client_for(carol)
    for path in (url("survey", survey.pk), url("results", survey.pk), url("export", survey.pk),
                 url("preview", survey.pk), url("paper", survey.pk), url("survey_edit", survey.pk),
                 url("question_edit", question.pk), url("question_new", section.pk)):
        assert carol_client.get(path).status_code == 404, path
    assert carol_client.post(url("survey_action", survey.pk, "close")).status_code == 404
    assert survey.slug not in carol_client.get(url("home")).content.decode()
    # Bob (a responder in Transport) reads the results but cannot change anything.
    bob_client = client_for(bob)
    assert bob_client.get(url("results", survey.pk)).status_code == 200
    assert bob_client.post(url("survey_action", survey.pk, "close")).status_code == 403
    assert bob_client.get(url("paper", survey.pk)).status_code == 403
    # Dana (communications office) sees every agency's results.
    assert client_for(dana).get(url("results", survey.pk)).status_code == 200
    assert bob_client.get(url("results", 999999)).status_code == 404


def test_results_breakdown_suppression_and_export(client_for, survey, alice):
    _paper(survey, alice, 30, "north")
    _paper(survey, alice, 12, "south", happy="no", ideas="=HYPERLINK(\"http://x\")")
    _paper(survey, alice, 3, "east")
    total, results = survey_results(survey)
    assert total == 45
    channels = next(r for r in results if r.question.key == "channels")
    assert channels.shares_exceed_total  # everyone picked radio and x: 200%
    table = crosstab(survey, survey.questions.get(key="happy"), "region", k=10)
    rows = {label: (cells, total) for label, cells, total in table.rows}
    assert rows["East"] == ([None, None], None)  # 3 people: hidden entirely
    assert table.any_hidden and table.chi is not None
    assert table.chi.degrees_of_freedom == 1  # north and south, fully shown
    client = client_for(alice)
    happy = survey.questions.get(key="happy")
    page = client.get(url("results", survey.pk) + f"?question={happy.pk}&segment=region")
    html = page.content.decode()
    assert page.status_code == 200 and "Chi-square" in html and "are hidden" in html
    assert "p = &lt; 0.001" in html  # never a misleading "p = 0.000"
    assert "<svg" in html and 'role="img"' in html  # chart with its data table
    assert "more than 100 per cent" in html
    bad = client.get(url("results", survey.pk) + "?question=abc&segment=shoe-size")
    assert "Choose a choice question" in bad.content.decode()
    export = client.get(url("export", survey.pk))
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:3] == ["response", "submitted_at", "channel"] and len(rows) == 46
    assert "'=HYPERLINK(\"http://x\")" in [cell for row in rows for cell in row]
    assert AuditEvent.objects.filter(action="survey.exported", actor=alice).exists()


def test_paper_entry_page(client_for, survey, alice):
    client = client_for(alice)
    assert client.get(url("paper", survey.pk)).status_code == 200
    bad = client.post(url("paper", survey.pk), {"q-happy": "maybe"})
    assert bad.status_code == 400 and 'href="#q-happy"' in bad.content.decode()
    ok = client.post(url("paper", survey.pk), {"q-happy": "yes", "q-region": "north"})
    assert ok.status_code == 302
    assert survey.responses.get().is_paper


def test_polls_in_the_console(client_for, alice, carol, government, fresh_cache):
    client = client_for(alice)
    assert client.get(url("poll_new")).status_code == 200
    bad = client.post(url("poll_new"), {"organisation": government["transport"].pk,
                                        "question": "Q?", "options": "Only one"})
    assert "between 2" in bad.content.decode()
    client.post(url("poll_new"), {"organisation": government["transport"].pk,
                                  "question": "Trams?", "options": "Yes\nNo",
                                  "options_ar": "نعم\nلا"})
    poll = Poll.objects.get()
    assert client.post(url("poll_action", poll.pk, "publish")).status_code == 302
    assert client.get(url("poll", poll.pk)).status_code == 200
    assert client_for(carol).get(url("poll", poll.pk)).status_code == 404
    assert client_for(carol).post(url("poll_action", poll.pk, "close")).status_code == 404


@pytest.mark.django_db
def test_demo_data_loads_once_and_shows_a_breakdown(government, alice, fresh_cache):
    summary = engagement_demo_load()
    assert summary.surveys == 1 and summary.responses == 240 and summary.votes > 0
    assert engagement_demo_load().surveys == 0
    survey = Survey.objects.get(is_demo=True)
    table = crosstab(survey, survey.questions.get(key="satisfaction"), "region")
    assert table.any_hidden and table.chi is not None and table.chi.p_value < 0.05
