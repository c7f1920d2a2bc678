"""The organiser's anomaly report: bursts from one address, many new verified respondents
from one email domain, implausibly fast completion and identical free-text answers."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from townsquare.core.request_context import RequestOrigin, reset_origin, set_origin
from townsquare.engagement import anomalies
from townsquare.engagement.anomalies import poll_anomalies, survey_anomalies
from townsquare.engagement.models import Response, Vote
from townsquare.engagement.services.builder import ChoiceSpec
from townsquare.engagement.services.polls import poll_create, poll_publish, poll_vote
from townsquare.engagement.services.responses import response_start

from .test_console import _paper

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@contextmanager
def from_address(ip):
    token = set_origin(RequestOrigin(ip, "test"))
    try:
        yield
    finally:
        reset_origin(token)


@pytest.fixture
def small_thresholds(monkeypatch):
    monkeypatch.setattr(anomalies, "BURST_MIN", 5)
    monkeypatch.setattr(anomalies, "DOMAIN_MIN", 4)


def _start(survey, ip, at, **kwargs):
    with time_machine.travel(at, tick=False), from_address(ip):
        return response_start(survey=survey, **kwargs)[0]


def test_a_burst_from_one_address_is_found_without_storing_the_address(survey,
                                                                       small_thresholds):
    for i in range(6):
        _start(survey, "203.0.113.7", START + dt.timedelta(seconds=30 * i))
    # The same address an hour later, and other addresses: not part of the burst.
    _start(survey, "203.0.113.7", START + dt.timedelta(hours=1))
    for i in range(4):
        _start(survey, f"198.51.100.{i}", START + dt.timedelta(seconds=10 * i))
    assert not Response.objects.filter(address_key__contains="203.0.113.7").exists()
    keys = set(Response.objects.values_list("address_key", flat=True))
    assert len(keys) == 5 and all(len(key) == 64 for key in keys)
    report = survey_anomalies(survey)
    [burst] = [f for f in report.findings if f.kind == "burst"]
    assert burst.count == 6
    assert burst.first == START and burst.last == START + dt.timedelta(seconds=150)
    assert "6 responses were started from one network address" in burst.summary
    assert "7 in all from that address" in burst.summary


def test_address_hashes_differ_between_surveys_and_polls(survey, alice, government):
    poll = poll_publish(actor=alice, poll=poll_create(
        actor=alice, organisation=government["transport"], question="Tram or bus?",
        choices=[ChoiceSpec(label="Tram"), ChoiceSpec(label="Bus")]))
    response = _start(survey, "203.0.113.7", START)
    with from_address("203.0.113.7"):
        vote, _created = poll_vote(poll=poll, choice_id=poll.choices.first().pk, voter_key="v1")
    assert response.address_key and vote.address_key
    assert response.address_key != vote.address_key


def test_public_pages_record_the_address_key(survey):
    client = Client(REMOTE_ADDR="192.0.2.44")
    response = client.post(reverse("engagement_public:survey", args=[survey.slug]))
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.address_key == anomalies.keyed_hash(f"address:survey:{survey.pk}",
                                                      "192.0.2.44")


def test_many_new_verified_respondents_from_one_domain(survey, small_thresholds):
    for i in range(5):
        _start(survey, f"10.0.0.{i}", START + dt.timedelta(minutes=5 * i),
               respondent_key=f"key-{i}", email_domain="sockpuppets.example")
    # A mixed crowd from a big provider is not flagged…
    # (4 of the 10 verified starts between its first and last one).
    for i in range(12):
        _start(survey, f"10.0.1.{i}", START + dt.timedelta(hours=3, minutes=i),
               respondent_key=f"mail-{i}", email_domain="mail.example" if i % 3 == 0 else
               f"org{i}.example")
    report = survey_anomalies(survey)
    [finding] = [f for f in report.findings if f.kind == "domain"]
    assert finding.count == 5 and "sockpuppets.example" in finding.summary
    assert finding.first == START and finding.last == START + dt.timedelta(minutes=20)


def test_verified_email_domain_is_stored_from_the_public_flow(
        survey, mailoutbox, django_capture_on_commit_callbacks):
    survey.respondent_mode = "verified"
    survey.save()
    client = Client()
    url = reverse("engagement_public:verify", args=[survey.slug])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "Someone@Example.ORG"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    client.post(url, {"email": "Someone@Example.ORG", "code": code})
    stored = Response.objects.get()
    assert stored.email_domain == "example.org"
    assert "someone" not in stored.email_domain


def test_implausibly_fast_completion(survey):
    slow = _start(survey, "10.0.0.1", START)
    fast = _start(survey, "10.0.0.2", START)
    Response.objects.filter(pk=slow.pk).update(submitted_at=START + dt.timedelta(minutes=4))
    Response.objects.filter(pk=fast.pk).update(submitted_at=START + dt.timedelta(seconds=3))
    report = survey_anomalies(survey)
    [finding] = [f for f in report.findings if f.kind == "fast"]
    assert finding.count == 1
    # 8 questions: under 16 seconds is implausible.
    assert "under 16 seconds" in finding.summary and "fastest took 3 seconds" in finding.summary


def test_paper_responses_are_not_fast_but_identical_texts_are_found(survey, alice):
    _paper(survey, alice, 3, "north", ideas="Please   make the buses run ON TIME")
    _paper(survey, alice, 1, "north", ideas="please make the buses run on time")
    _paper(survey, alice, 5, "north", ideas="ok")  # too short to mean anything
    report = survey_anomalies(survey)
    assert [f.kind for f in report.findings] == ["identical"]
    [finding] = report.findings
    assert finding.count == 4 and "Ideas?" in finding.summary
    assert finding.details == ["Please make the buses run ON TIME"]


def test_nothing_found_is_said_and_pages_are_scoped(client_for, survey, alice, bob, carol):
    client = client_for(alice)
    page = client.get(reverse("engagement:survey_anomalies", args=[survey.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Nothing unusual found" in html
    assert "identical free-text answers" in html
    assert client_for(carol).get(
        reverse("engagement:survey_anomalies", args=[survey.pk])).status_code == 404
    # Bob (a responder) can read results but the report is for organisers.
    assert client_for(bob).get(
        reverse("engagement:survey_anomalies", args=[survey.pk])).status_code == 403


def test_poll_vote_bursts(client_for, alice, government, small_thresholds, fresh_cache):
    poll = poll_publish(actor=alice, poll=poll_create(
        actor=alice, organisation=government["transport"], question="Tram or bus?",
        choices=[ChoiceSpec(label="Tram"), ChoiceSpec(label="Bus")]))
    choice = poll.choices.first()
    for i in range(7):
        with time_machine.travel(START + dt.timedelta(seconds=i), tick=False):
            client = Client(REMOTE_ADDR="203.0.113.9")
            client.post(reverse("engagement_public:poll", args=[poll.slug]),
                        {"choice": choice.pk})
    assert Vote.objects.filter(poll=poll).count() == 7
    report = poll_anomalies(poll)
    [finding] = report.findings
    assert finding.kind == "burst" and finding.count == 7
    assert "7 votes came from one network address" in finding.summary
    page = client_for(alice).get(reverse("engagement:poll_anomalies", args=[poll.pk]))
    assert page.status_code == 200 and "7 votes came from one network address" in \
        page.content.decode()
    detail = client_for(alice).get(reverse("engagement:poll", args=[poll.pk])).content.decode()
    assert reverse("engagement:poll_anomalies", args=[poll.pk]) in detail
