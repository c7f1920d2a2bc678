# ruff: noqa: F811 (the shared fixtures are imported from consultation_helpers by name)
import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from townsquare.core.models import AuditEvent
from townsquare.engagement.consultation_models import Comment, OptInNotification, Participant
from townsquare.engagement.services import consultations as service
from townsquare.engagement.services import participation

from .consultation_helpers import (  # noqa: F401 (fixtures)
    consultation,
    make_consultation,
    signed_in_client,
    url,
    verify,
)


def test_phases_follow_the_dates(government, alice, fresh_cache):
    start = timezone.now()
    c = make_consultation(alice, government["transport"], opens=start + dt.timedelta(days=1),
                          closes=start + dt.timedelta(days=8))
    assert c.phase(start) == "information"
    with time_machine.travel(start + dt.timedelta(days=2)):
        assert c.phase() == "open" and c.is_open_for_comment()
    with time_machine.travel(start + dt.timedelta(days=9)):
        assert c.phase() == "analysis" and not c.is_open_for_comment()


def test_creation_is_checked_and_audited(government, alice, carol):
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        service.consultation_create(actor=alice, organisation=government["transport"],
                                    title=" ", comments_open_at=now, comments_close_at=now)
    assert set(exc.value.message_dict) == {"title", "comments_close_at"}
    with pytest.raises(PermissionDenied):
        service.consultation_create(actor=carol, organisation=government["transport"],
                                    title="X", comments_open_at=now,
                                    comments_close_at=now + dt.timedelta(days=1))
    draft = service.consultation_create(actor=alice, organisation=government["transport"],
                                        title="X", comments_open_at=now,
                                        comments_close_at=now + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="at least one section"):
        service.consultation_publish(actor=alice, consultation=draft)
    assert AuditEvent.objects.filter(action="consultation.created").count() == 1


def test_drafts_are_not_reachable_and_the_list_shows_published_ones(government, alice,
                                                                    fresh_cache):
    draft = make_consultation(alice, government["transport"], publish=False, title="Secret")
    published = make_consultation(alice, government["transport"], title="Open one")
    client = Client()
    assert client.get(url("consultation", draft.slug)).status_code == 404
    assert client.post(url("consultation_vote", draft.slug), {}).status_code == 404
    assert client.get(url("consultation", "new-bus-network")).status_code == 404
    index = client.get(url("index")).content.decode()
    assert "Open one" in index and "Secret" not in index
    assert client.get(url("consultation", published.slug)).status_code == 200


def test_the_page_in_arabic_shows_the_phase_and_the_document(consultation):
    page = Client(HTTP_ACCEPT_LANGUAGE="ar").get(url("consultation", consultation.slug))
    html = page.content.decode()
    assert page.status_code == 200 and 'dir="rtl"' in html
    assert "شبكة الحافلات الجديدة" in html and "الخطوط" in html
    assert 'aria-current="step"' in html and "Fewer, more frequent routes." in html
    # Not signed in: no comment form, a way to confirm the email address instead.
    assert 'name="body"' not in html
    assert url("consultation_verify", consultation.slug) in html


def test_verification_and_commenting_through_the_pages(consultation,
                                                       django_capture_on_commit_callbacks):
    client = signed_in_client(consultation, django_capture_on_commit_callbacks)
    participant = Participant.objects.get()
    assert participant.name == "Amal" and participant.organisation_name == "Harbour Cyclists"
    assert "amal@example.org" not in participant.key  # only a keyed hash
    assert OptInNotification.objects.get().email == "amal@example.org"
    section = consultation.sections.first()
    response = client.post(url("consultation_comment", consultation.slug), {
        "form": f"s{section.pk}", "section": section.pk, "as_organisation": "on",
        "body": "<script>alert(1)</script> More buses at night"})
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.state == "published" and comment.section == section
    assert comment.organisation_name == "Harbour Cyclists"
    html = client.get(url("consultation", consultation.slug)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; More buses at night" in html
    # A reply is about what its parent is about, whatever section the form claims.
    other = consultation.sections.last()
    client.post(url("consultation_comment", consultation.slug), {
        "form": f"r{comment.pk}", "parent": comment.pk, "section": other.pk, "body": "Agreed"})
    reply = Comment.objects.get(parent=comment)
    assert reply.section == section


def test_wrong_codes_and_bad_names_are_refused_clearly(consultation,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        participation.participant_code_send(consultation=consultation, email="a@example.org")
    with pytest.raises(ValidationError, match="not right"):
        participation.participant_verify(consultation=consultation, email="a@example.org",
                                         code="000000x", name="Ann")
    with pytest.raises(ValidationError, match="direction"):
        participation.participant_verify(consultation=consultation, email="a@example.org",
                                         code="1", name="Ann\u202eevil")
    with pytest.raises(ValidationError, match="email address like"):
        participation.participant_code_send(consultation=consultation, email="not-an-email")
    # Zero-width characters are removed from names (they make two names look the same).
    participant, _token = verify(consultation, email="b@example.org", name="Zai\u200bnab",
                                 capture=django_capture_on_commit_callbacks)
    assert participant.name == "Zainab"
    # The page shows the problem and keeps what was typed.
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("consultation_verify", consultation.slug), {"email": "c@example.org"})
    page = client.post(url("consultation_verify", consultation.slug), {
        "email": "c@example.org", "code": "999999", "name": "Chen Wei"})
    assert page.status_code == 400
    assert "not right" in page.content.decode() and 'value="Chen Wei"' in page.content.decode()


def test_bad_comments_are_refused_and_nothing_is_lost(consultation,
                                                      django_capture_on_commit_callbacks):
    client = signed_in_client(consultation, django_capture_on_commit_callbacks)
    section = consultation.sections.first()
    empty = client.post(url("consultation_comment", consultation.slug),
                        {"form": f"s{section.pk}", "section": section.pk, "body": "   "})
    assert empty.status_code == 400 and "Write your comment." in empty.content.decode()
    huge = "word " * 2000
    page = client.post(url("consultation_comment", consultation.slug),
                       {"form": f"s{section.pk}", "section": section.pk, "body": huge})
    html = page.content.decode()
    assert page.status_code == 400 and "at most 5000 characters" in html
    assert huge.strip()[:200] in html  # the text is still in the form
    tampered = client.post(url("consultation_comment", consultation.slug),
                           {"form": "whole", "section": "99999", "body": "Hello"})
    assert tampered.status_code == 400 and "does not exist" in tampered.content.decode()
    nan = client.post(url("consultation_comment", consultation.slug),
                      {"form": "whole", "parent": "1 OR 1=1", "body": "Hello"})
    assert nan.status_code == 400
    assert Comment.objects.count() == 0


def test_a_section_of_another_consultation_is_refused(consultation, government, alice):
    other = make_consultation(alice, government["transport"], title="Other")
    participant = Participant.objects.create(consultation=consultation, key="k",
                                             session_hash="s", name="N")
    with pytest.raises(ValidationError):
        participation.comment_submit(consultation=consultation, participant=participant,
                                     body="Hi", section_id=other.sections.first().pk)
    # A participant of another consultation cannot comment here.
    with pytest.raises(ValidationError, match="Confirm"):
        participation.comment_submit(consultation=other, participant=participant, body="Hi")


def test_double_submission_makes_one_comment(consultation):
    participant = Participant.objects.create(consultation=consultation, key="k",
                                             session_hash="s", name="N")
    first = participation.comment_submit(consultation=consultation, participant=participant,
                                         body="Same words")
    again = participation.comment_submit(consultation=consultation, participant=participant,
                                         body="Same words")
    assert first.pk == again.pk and Comment.objects.count() == 1


def test_nothing_is_accepted_outside_the_comment_phase(consultation, alice,
                                                       django_capture_on_commit_callbacks):
    client = signed_in_client(consultation, django_capture_on_commit_callbacks)
    service.consultation_close_comments(actor=alice, consultation=consultation)
    page = client.post(url("consultation_comment", consultation.slug),
                       {"form": "whole", "body": "Too late"})
    assert page.status_code == 403 and "not open for comment" in page.content.decode()
    vote = client.post(url("consultation_support", consultation.slug),
                       {"section": consultation.sections.first().pk, "stance": "1"})
    assert vote.status_code == 403
    assert client.get(url("consultation_verify", consultation.slug)).status_code == 403
    assert Comment.objects.count() == 0
    html = client.get(url("consultation", consultation.slug)).content.decode()
    assert "Comments are closed" in html and 'name="body"' not in html


def test_support_is_one_per_person_and_changeable(consultation):
    section = consultation.sections.first()
    client = Client()
    for stance in ("1", "1", "-1"):
        assert client.post(url("consultation_support", consultation.slug),
                           {"section": section.pk, "stance": stance}).status_code == 302
    assert section.supports.count() == 1 and section.supports.get().stance == -1
    assert client.post(url("consultation_support", consultation.slug),
                       {"section": section.pk, "stance": "7"}).status_code == 400
    Client().post(url("consultation_support", consultation.slug),
                  {"section": section.pk, "stance": "1"})
    html = client.get(url("consultation", consultation.slug)).content.decode()
    assert "1 person supports" in html and "1 person opposes" in html
    assert 'aria-pressed="true"' in html


def test_publishing_the_response_notifies_opted_in_people_once(
        consultation, alice, django_capture_on_commit_callbacks):
    verify(consultation, email="n@example.org", notify=True,
           capture=django_capture_on_commit_callbacks)
    verify(consultation, email="quiet@example.org", capture=django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="once comments have closed"):
        service.consultation_response_publish(actor=alice, consultation=consultation)
    service.consultation_close_comments(actor=alice, consultation=consultation)
    theme = service.theme_save(actor=alice, consultation=consultation, title="Night buses",
                               said="Many asked for buses after midnight.")
    with pytest.raises(ValidationError, match="every theme"):
        service.consultation_response_publish(actor=alice, consultation=consultation)
    service.theme_save(actor=alice, consultation=consultation, theme=theme, title="Night buses",
                       said="Many asked for buses after midnight.",
                       did="Three night routes start in March.",
                       translations={"ar": {"did": "ثلاثة خطوط ليلية تبدأ في مارس."}})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        service.consultation_response_publish(actor=alice, consultation=consultation,
                                              summary="Thank you all.")
    assert [m.to for m in mail.outbox] == [["n@example.org"]]
    assert reverse("engagement_public:consultation", args=[consultation.slug]) in \
        mail.outbox[0].body
    # Running the task again tells nobody twice.
    assert service.consultation_notify_participants(consultation_id=consultation.pk) == 0
    with pytest.raises(ValidationError, match="already published"):
        service.consultation_response_publish(actor=alice, consultation=consultation)
    html = Client(HTTP_ACCEPT_LANGUAGE="ar").get(url("consultation", consultation.slug))
    assert "ثلاثة خطوط ليلية" in html.content.decode()
    assert AuditEvent.objects.filter(action="consultation.response_published").exists()


def test_the_document_is_frozen_once_comments_open(consultation, alice):
    with pytest.raises(ValidationError, match="before comments open"):
        service.consultation_section_save(actor=alice, consultation=consultation,
                                          title="New", body="Text")


def test_rate_limits_stop_floods(consultation, settings):
    settings.ENGAGEMENT_RATE_PER_ADDRESS = 3
    client = Client()
    section = consultation.sections.first()
    codes = [client.post(url("consultation_support", consultation.slug),
                         {"section": section.pk, "stance": "1"}).status_code for _ in range(5)]
    assert codes[:3] == [302, 302, 302] and codes[-1] == 429


def test_another_agency_cannot_see_consultations_in_the_console(consultation, carol, alice,
                                                                client_for):
    carol_client = client_for(carol)
    for name in ("consultation", "consultation_moderation", "consultation_themes",
                 "consultation_opinion", "consultation_responses", "consultation_edit"):
        assert carol_client.get(reverse(f"engagement:{name}", args=[consultation.pk])
                                ).status_code == 404, name
    assert consultation.title not in carol_client.get(
        reverse("engagement:consultations")).content.decode()
    alice_client = client_for(alice)
    for name in ("consultation", "consultation_moderation", "consultation_themes",
                 "consultation_opinion", "consultation_responses", "consultation_edit"):
        assert alice_client.get(reverse(f"engagement:{name}", args=[consultation.pk])
                                ).status_code == 200, name
