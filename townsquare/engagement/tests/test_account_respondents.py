import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from townsquare.engagement.identity import keyed_hash
from townsquare.engagement.models import Response
from townsquare.engagement.services import builder

from .conftest import options


@pytest.fixture
def account_survey(government, alice, fresh_cache):
    survey = builder.survey_create(actor=alice, organisation=government["transport"],
                                   title="Members only", respondent_mode="account")
    page = builder.section_add(actor=alice, survey=survey, title="P")
    builder.question_add(actor=alice, section=page, kind="single", key="ok", text="OK?",
                         options=options("Yes", "No"))
    return builder.survey_publish(actor=alice, survey=survey)


def url(name, *args):
    return reverse(f"engagement_public:{name}", args=args)


def test_signed_out_people_are_sent_to_sign_in(account_survey):
    client = Client()
    assert "sign in to take part" in client.get(url("survey", account_survey.slug)
                                                ).content.decode()
    started = client.post(url("survey", account_survey.slug))
    assert started.status_code == 302 and "next=" in started["Location"]
    assert not Response.objects.exists()


def test_one_response_per_account_even_across_devices(account_survey, nadia, client_for):
    first = client_for(nadia)
    assert first.post(url("survey", account_survey.slug))["Location"].endswith("/page/1/")
    first.post(url("page", account_survey.slug, 1), {"q-ok": "yes"})
    # Another device of the same account continues the same response...
    second = client_for(nadia)
    assert second.post(url("survey", account_survey.slug))["Location"].endswith("/page/1/")
    assert Response.objects.count() == 1
    second.post(url("review", account_survey.slug))
    # ...and once it is sent, starting again is refused with a clear message.
    third = client_for(nadia)
    again = third.post(url("survey", account_survey.slug))
    assert again.status_code == 200 and "already answered" in again.content.decode()
    response = Response.objects.get()
    # A keyed hash, never the account id itself.
    assert response.respondent_key == keyed_hash(f"account:{account_survey.pk}", str(nadia.pk))
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(survey=account_survey, respondent_key=response.respondent_key,
                                resume_hash="x" * 64)


def test_staff_sign_in_counts_too(account_survey, carol, client_for):
    client = client_for(carol)
    assert client.post(url("survey", account_survey.slug))["Location"].endswith("/page/1/")
    assert Response.objects.get().respondent_key
