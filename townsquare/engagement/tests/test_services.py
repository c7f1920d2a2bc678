import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.utils import timezone

from townsquare.core.models import AuditEvent
from townsquare.engagement.identity import keyed_hash
from townsquare.engagement.library import survey_create_from_template
from townsquare.engagement.models import Channel, Response, Status
from townsquare.engagement.services import builder
from townsquare.engagement.services.responses import (
    AlreadyRespondedError,
    SurveyClosedError,
    response_enter_paper,
    response_for_token,
    response_save_page,
    response_start,
    response_submit,
    stored_answers,
)

from .conftest import options


def form(**fields):
    data = QueryDict(mutable=True)
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            data.appendlist(key.replace("_", "-"), item)
    return data


PAGE_ONE = {"q_happy": "yes", "q_channels": ["radio", "x"], "q_rank_price": "2",
            "q_rank_speed": "1", "q_rank_comfort": "3"}


def test_builder_actions_are_audited_and_checked(draft, alice, bob, carol):
    actions = set(AuditEvent.objects.filter(target_id=str(draft.pk)).values_list("action",
                                                                                  flat=True))
    assert {"survey.created", "survey.section_added", "survey.question_added"} <= actions
    with pytest.raises(PermissionDenied):
        builder.survey_publish(actor=bob, survey=draft)  # a responder cannot
    with pytest.raises(PermissionDenied):
        builder.survey_publish(actor=carol, survey=draft)  # another agency cannot
    builder.survey_publish(actor=alice, survey=draft)
    with pytest.raises(ValidationError, match="only while the survey is a draft"):
        builder.section_add(actor=alice, survey=draft, title="Late page")
    builder.survey_close(actor=alice, survey=draft)
    assert AuditEvent.objects.filter(action="survey.closed", target_id=str(draft.pk)).exists()


def test_publishing_needs_questions_and_a_future_closing_time(government, alice):
    empty = builder.survey_create(actor=alice, organisation=government["transport"], title="E")
    with pytest.raises(ValidationError, match="at least one question"):
        builder.survey_publish(actor=alice, survey=empty)
    with pytest.raises(ValidationError, match="after the opening"):
        builder.survey_create(actor=alice, organisation=government["transport"], title="x",
                              opens_at=timezone.now(),
                              closes_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="title"):
        builder.survey_create(actor=alice, organisation=government["transport"], title="  ")


def test_question_checks(draft, alice):
    section = draft.sections.first()
    with pytest.raises(ValidationError, match="two options"):
        builder.question_add(actor=alice, section=section, kind="single", text="Q",
                             options=options("Only"))
    with pytest.raises(ValidationError, match="earlier question"):
        builder.question_add(actor=alice, section=section, kind="text", text="Q",
                             condition={"question": "ideas", "answered": True})
    why = draft.questions.get(key="why")
    with pytest.raises(ValidationError, match="display logic"):
        builder.question_move(actor=alice, question=why, direction="up")
    with pytest.raises(ValidationError, match="depends on this one"):
        builder.question_delete(actor=alice, question=draft.questions.get(key="happy"))
    assert draft.questions.filter(key="happy").exists()
    channels = draft.questions.get(key="channels")
    builder.question_move(actor=alice, question=channels, direction="up")
    order = list(section.questions.order_by("position").values_list("key", flat=True))
    assert order == ["happy", "channels", "why", "rank"]


def test_templates_build_complete_surveys_in_three_languages(government, alice):
    for template in ("satisfaction", "impact"):
        survey = survey_create_from_template(actor=alice, organisation=government["transport"],
                                             template=template)
        assert survey.translations["ar"]["title"] and survey.translations["zh-hans"]["title"]
        assert {q.segment for q in survey.questions.all()} >= {"region", "age_band"}
        for question in survey.questions.all():
            assert question.translations["ar"]["text"], question.key
            for choice in question.choices.all():
                assert choice.translations["zh-hans"]["label"], choice.value
        builder.survey_publish(actor=alice, survey=survey)
    impact = survey.questions.get(key="frequency").survey
    assert impact.title.startswith("How can the impact of social media")


def _answer_all(survey, **page_two):
    response, token = response_start(survey=survey)
    assert response_save_page(response=response, section_index=0,
                              data=form(**PAGE_ONE)).next_section == 1
    result = response_save_page(response=response, section_index=1,
                                data=form(q_region="north", **page_two))
    assert result.errors == {} and result.next_section is None
    return response, token


def test_a_whole_response_with_resume(survey):
    response, token = _answer_all(survey, q_trips="4", q_last="2025-03-01",
                                  q_ideas="<script>alert(1)</script> more buses")
    assert response_for_token(survey=survey, token=token) == response
    assert response_for_token(survey=survey, token="guess") is None
    assert response_submit(response=response).errors == {}
    response.refresh_from_db()
    assert response.submitted_at and response.region == "north"
    answers = stored_answers(response)
    assert answers["rank"] == ["speed", "price", "comfort"]
    assert answers["ideas"] == "<script>alert(1)</script> more buses"  # text, escaped on output
    assert answers["trips"] == 4
    # A double submission changes nothing; saving after submission is refused.
    first = response.submitted_at
    response_submit(response=response)
    response.refresh_from_db()
    assert response.submitted_at == first
    with pytest.raises(AlreadyRespondedError):
        response_save_page(response=response, section_index=1, data=form(q_region="south"))


@pytest.mark.parametrize(
    ("fields", "key", "message"),
    [
        ({"q_channels": ["radio"]}, "happy", "Answer this question"),
        ({"q_happy": "perhaps"}, "happy", "Choose from the options"),
        ({"q_happy": ["yes", "no"]}, "happy", "only one"),
        ({"q_happy": "no"}, "why", "Answer this question"),
        ({"q_happy": "yes", "q_rank_price": "1", "q_rank_speed": "1", "q_rank_comfort": "2"},
         "rank", "only once"),
        ({"q_happy": "yes", "q_rank_price": "1"}, "rank", "Rank every option"),
        ({"q_happy": "yes", "q_rank_price": "9", "q_rank_speed": "1", "q_rank_comfort": "2"},
         "rank", "from 1 to 3"),
        ({"q_happy": "yes", "q_channels": ["radio", "tv"]}, "channels", "Choose from"),
    ],
)
def test_bad_answers_on_page_one(survey, fields, key, message):
    response, _token = response_start(survey=survey)
    result = response_save_page(response=response, section_index=0, data=form(**fields))
    assert message in result.errors[key]
    assert not response.answers.exists()  # nothing half-saved


@pytest.mark.parametrize(
    ("fields", "key", "message"),
    [
        ({"q_trips": "51"}, "trips", "at most 50"),
        ({"q_trips": "-1"}, "trips", "at least 0"),
        ({"q_trips": "lots"}, "trips", "Enter a number"),
        ({"q_trips": "nan"}, "trips", "Enter a number"),
        ({"q_trips": "1" * 40}, "trips", "Enter a number"),
        ({"q_last": "31/02/2025"}, "last", "year-month-day"),
        ({"q_ideas": "x" * 201}, "ideas", "under 200 characters"),
    ],
)
def test_bad_answers_on_page_two(survey, fields, key, message):
    response, _token = response_start(survey=survey)
    response_save_page(response=response, section_index=0, data=form(**PAGE_ONE))
    result = response_save_page(response=response, section_index=1, data=form(**fields))
    assert message in result.errors[key]


def test_answers_to_hidden_questions_are_discarded(survey):
    response, _token = response_start(survey=survey)
    response_save_page(response=response, section_index=0,
                       data=form(q_happy="no", q_why="Late again"))
    assert stored_answers(response)["why"] == "Late again"
    # The citizen goes back and changes their mind: the follow-up is now hidden.
    response_save_page(response=response, section_index=0,
                       data=form(q_happy="yes", q_why="Still sent"))
    assert "why" not in stored_answers(response)


def test_a_tampered_page_number_is_refused(survey):
    response, _token = response_start(survey=survey)
    with pytest.raises(ValidationError, match="not available yet"):
        response_save_page(response=response, section_index=1, data=form(q_region="north"))
    with pytest.raises(ValidationError):
        response_save_page(response=response, section_index=-1, data=form())


def test_submit_sends_back_to_a_missing_required_answer(survey):
    response, _token = response_start(survey=survey)
    result = response_submit(response=response)
    assert result.next_section == 0 and "happy" in result.errors


def test_nothing_is_accepted_after_closing(survey, alice):
    response, _token = response_start(survey=survey)
    builder.survey_close(actor=alice, survey=survey)
    survey.refresh_from_db()
    with pytest.raises(SurveyClosedError):
        response_start(survey=survey)
    response.survey.refresh_from_db()
    with pytest.raises(SurveyClosedError):
        response_save_page(response=response, section_index=0, data=form(**PAGE_ONE))
    with pytest.raises(SurveyClosedError):
        response_submit(response=response)


def test_closing_time_is_honoured_without_staff_action(survey):
    survey.closes_at = timezone.now() + dt.timedelta(hours=1)
    survey.save()
    response, _token = response_start(survey=survey)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)), \
            pytest.raises(SurveyClosedError):
        response_save_page(response=response, section_index=0, data=form(**PAGE_ONE))


def test_one_response_per_verified_person(survey):
    key = keyed_hash("respondent", "ana@example.org")
    first, token_one = response_start(survey=survey, respondent_key=key)
    again, token_two = response_start(survey=survey, respondent_key=key)
    assert again.pk == first.pk and token_one != token_two  # resumed on another device
    assert response_for_token(survey=survey, token=token_one) is None
    # The database itself refuses a second response for the same person.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(survey=survey, respondent_key=key, resume_hash="x" * 64)
    response_save_page(response=first, section_index=0, data=form(**PAGE_ONE))
    response_save_page(response=first, section_index=1, data=form(q_region="east"))
    response_submit(response=first)
    with pytest.raises(AlreadyRespondedError):
        response_start(survey=survey, respondent_key=key)


def test_paper_responses_are_marked_and_audited(survey, alice, carol):
    data = form(q_region="south", **PAGE_ONE)
    with pytest.raises(PermissionDenied):
        response_enter_paper(actor=carol, survey=survey, data=data)
    response, errors = response_enter_paper(actor=alice, survey=survey, data=form(q_happy="x"))
    assert response is None and "happy" in errors
    response, errors = response_enter_paper(actor=alice, survey=survey, data=data)
    assert errors == {} and response.is_paper and response.channel == Channel.PAPER
    assert response.entered_by == alice and response.submitted_at and response.region == "south"
    assert AuditEvent.objects.filter(action="survey.paper_response_entered",
                                     actor=alice).exists()


def test_draft_surveys_take_no_responses(draft):
    assert draft.status == Status.DRAFT
    with pytest.raises(SurveyClosedError):
        response_start(survey=draft)
