import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from townsquare.engagement.models import Channel, Response, Vote
from townsquare.engagement.services import builder
from townsquare.engagement.services.polls import poll_create, poll_publish

from .conftest import options


def url(name, *args):
    return reverse(f"engagement_public:{name}", args=args)


def start(client, survey, **extra):
    response = client.post(url("survey", survey.slug), extra)
    assert response.status_code == 302, response.content[:500]
    return response


def test_a_citizen_answers_in_arabic_without_javascript(survey):
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    page = client.get(url("survey", survey.slug))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'dir="rtl"' in html and "استبيان الحافلات" in html
    assert "<script>" not in html.split("</head>")[1].split('<script src=')[0]  # no inline JS
    assert start(client, survey)["Location"].endswith("/page/1/")
    first = client.get(url("page", survey.slug, 1)).content.decode()
    assert "هل أنت راضٍ؟" in first and "<fieldset" in first and "<legend" in first
    # Submitting nothing: an error summary linking to the question, nothing lost.
    bad = client.post(url("page", survey.slug, 1), {"q-channels": ["radio"]})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'href="#q-happy"' in body and 'usa-alert--error' in body
    assert re.search(r'value="radio"\s+checked', body)
    ok = client.post(url("page", survey.slug, 1), {"q-happy": "yes"})
    assert ok["Location"].endswith("/page/2/")
    ok = client.post(url("page", survey.slug, 2), {"q-region": "east", "q-ideas": "<b>hi</b>"})
    assert ok["Location"].endswith("/review/")
    assert client.get(url("review", survey.slug)).status_code == 200
    assert client.post(url("review", survey.slug))["Location"].endswith("/thanks/")
    assert client.get(url("thanks", survey.slug)).status_code == 200
    response = Response.objects.get(survey=survey)
    assert response.submitted_at and response.region == "east" and response.channel == "web"
    # Coming back shows the thanks page; another start does not make a second response.
    assert client.post(url("survey", survey.slug))["Location"].endswith("/thanks/")
    assert Response.objects.filter(survey=survey).count() == 1


def test_pages_cannot_be_skipped_and_resume_links_work(survey):
    client = Client()
    start(client, survey)
    assert client.get(url("page", survey.slug, 2))["Location"].endswith("/page/1/")
    assert client.get(url("page", survey.slug, 99))["Location"].endswith("/page/1/")
    page = client.get(url("page", survey.slug, 1)).content.decode()
    resume = re.search(r"(/surveys/[^<\s]+/resume/[^<\s/]+/)", page).group(1)
    other_device = Client()
    assert other_device.get(resume).status_code == 302
    assert b"Continue where you left off" in other_device.get(url("survey", survey.slug)).content
    assert Client().get(url("resume", survey.slug, "made-up-token")).status_code == 404


def test_drafts_are_unreachable_and_closed_surveys_say_so(draft, alice):
    client = Client()
    for name in ("survey", "survey_embed", "review", "thanks"):
        assert client.get(url(name, draft.slug)).status_code == 404
    assert client.get(url("page", draft.slug, 1)).status_code == 404
    builder.survey_publish(actor=alice, survey=draft)
    start(client, draft)
    builder.survey_close(actor=alice, survey=draft)
    closed = client.post(url("page", draft.slug, 1), {"q-happy": "yes"})
    assert closed.status_code == 410
    assert client.post(url("survey", draft.slug)).status_code == 410


def test_embed_can_be_framed_and_sets_no_cookie(survey):
    response = Client().get(url("survey_embed", survey.slug))
    assert response.status_code == 200
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert not response.cookies
    # Other pages stay unframeable.
    page = Client().get(url("survey", survey.slug))
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"
    # Starting from the embed records the channel.
    client = Client()
    start(client, survey, channel="embed")
    assert Response.objects.get(survey=survey).channel == Channel.EMBED


def test_rate_limit_per_address(survey, settings):
    settings.ENGAGEMENT_RATE_PER_ADDRESS = 3
    client = Client()
    for _ in range(3):
        start(Client(), survey)
    limited = client.post(url("survey", survey.slug))
    assert limited.status_code == 429
    assert b"nothing you sent before is lost" in limited.content


def test_verified_survey_by_email_code(survey, alice, django_capture_on_commit_callbacks):
    survey.respondent_mode = "verified"
    survey.save()
    client = Client()
    assert client.post(url("survey", survey.slug))["Location"].endswith("/verify/")
    bad = client.post(url("verify", survey.slug), {"email": "not an address"})
    assert b"Enter an email address" in bad.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("verify", survey.slug), {"email": "Ana@Example.org"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    wrong = client.post(url("verify", survey.slug), {"email": "ana@example.org",
                                                     "code": "000000" if code != "000000"
                                                     else "111111"})
    assert b"not right" in wrong.content
    ok = client.post(url("verify", survey.slug), {"email": "ana@example.org", "code": code})
    assert ok["Location"].endswith("/page/1/")
    response = Response.objects.get(survey=survey)
    assert response.respondent_key and "ana" not in response.respondent_key
    # The same person on another device, after finishing: told they already answered.
    client.post(url("page", survey.slug, 1), {"q-happy": "yes"})
    client.post(url("page", survey.slug, 2), {"q-region": "north"})
    client.post(url("review", survey.slug))
    other = Client()
    with django_capture_on_commit_callbacks(execute=True):
        other.post(url("verify", survey.slug), {"email": "ana@example.org"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    again = other.post(url("verify", survey.slug), {"email": "ana@example.org", "code": code})
    assert b"already answered" in again.content
    assert Response.objects.filter(survey=survey).count() == 1


@pytest.fixture
def poll(government, alice, fresh_cache):
    return poll_create(actor=alice, organisation=government["transport"],
                       question="Night buses?", choices=options("Yes", "No"),
                       translations={"ar": {"question": "حافلات ليلية؟"}})


def test_poll_vote_once_per_browser(poll, alice):
    client = Client()
    assert client.get(url("poll", poll.slug)).status_code == 404  # draft
    poll_publish(actor=alice, poll=poll)
    yes, no = poll.choices.all()
    bad = client.post(url("poll", poll.slug), {"choice": "nonsense"})
    assert bad.status_code == 400 and b"Choose one of the options" in bad.content
    assert client.post(url("poll", poll.slug), {"choice": yes.pk}).status_code == 302
    client.post(url("poll", poll.slug), {"choice": no.pk})
    assert Vote.objects.filter(poll=poll).count() == 1
    page = client.get(url("poll", poll.slug)).content.decode()
    assert "your vote" in page and "100%" in page
    arabic = Client(HTTP_ACCEPT_LANGUAGE="ar").get(url("poll", poll.slug)).content.decode()
    assert "حافلات ليلية؟" in arabic
    embed = Client().get(url("poll_embed", poll.slug))
    assert embed.status_code == 200 and not embed.cookies
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert 'target="_blank"' in embed.content.decode()


def test_index_lists_only_open_items(survey, draft, poll):
    page = Client().get(url("index")).content.decode()
    assert survey.slug in page
    assert poll.slug not in page  # still a draft
