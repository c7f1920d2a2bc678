"""Shared fixtures of the consultation tests (imported by each test module)."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from townsquare.engagement.services import consultations as service
from townsquare.engagement.services import participation


def url(name, *args):
    return reverse(f"engagement_public:{name}", args=args)


def make_consultation(alice, organisation, *, moderation="post", opens=None, closes=None,
                      publish=True, title="New bus network"):
    now = timezone.now()
    consultation = service.consultation_create(
        actor=alice, organisation=organisation, title=title,
        summary="We propose a new bus network.", moderation=moderation,
        comments_open_at=opens or now - dt.timedelta(days=1),
        comments_close_at=closes or now + dt.timedelta(days=30),
        translations={"ar": {"title": "شبكة الحافلات الجديدة"}})
    service.consultation_section_save(actor=alice, consultation=consultation,
                                      title="Routes", body="Fewer, more frequent routes.",
                                      translations={"ar": {"title": "الخطوط"}})
    service.consultation_section_save(actor=alice, consultation=consultation,
                                      title="Fares", body="One fare for the whole city.")
    if publish:
        consultation = service.consultation_publish(actor=alice, consultation=consultation)
    return consultation


@pytest.fixture
def consultation(government, alice, fresh_cache):
    return make_consultation(alice, government["transport"])


@pytest.fixture
def premoderated(government, alice, fresh_cache):
    return make_consultation(alice, government["transport"], moderation="pre",
                             title="Parking rules")


def code_from_outbox():
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def verify(consultation, *, email="citizen@example.org", name="Layla", organisation_name="",
           notify=False, capture=None):
    """A participant (and session token) through the real code check."""
    with capture(execute=True):
        participation.participant_code_send(consultation=consultation, email=email)
    return participation.participant_verify(
        consultation=consultation, email=email, code=code_from_outbox(), name=name,
        organisation_name=organisation_name, notify=notify)


def signed_in_client(consultation, capture, **kwargs):
    """A browser that confirmed its email address through the pages."""
    client = Client(**kwargs)
    with capture(execute=True):
        response = client.post(url("consultation_verify", consultation.slug),
                               {"email": "amal@example.org"})
    assert response.status_code == 200
    response = client.post(url("consultation_verify", consultation.slug), {
        "email": "amal@example.org", "code": code_from_outbox(), "name": "Amal",
        "organisation_name": "Harbour Cyclists", "notify": "on"})
    assert response.status_code == 302, response.content[:800]
    return client
