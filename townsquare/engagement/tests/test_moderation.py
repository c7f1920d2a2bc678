# ruff: noqa: F811 (the shared fixtures are imported from consultation_helpers by name)
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from conftest import _make_user
from townsquare.core.models import AuditEvent
from townsquare.engagement.consultation_models import Comment, Participant
from townsquare.engagement.services import moderation, participation

from .consultation_helpers import (  # noqa: F401 (fixtures)
    consultation,
    premoderated,
    signed_in_client,
    url,
)


@pytest.fixture
def erin(government):
    """A second editor of Transport, to decide appeals against alice's decisions."""
    return _make_user("erin", government["transport"], "editor")


def _participant(consultation, key="k"):
    return Participant.objects.create(consultation=consultation, key=key,
                                      session_hash=f"s-{key}", name="Nour")


def test_pre_moderation_holds_comments_until_approved(premoderated, alice, client_for):
    comment = participation.comment_submit(consultation=premoderated,
                                           participant=_participant(premoderated),
                                           body="Please keep the old stop.")
    assert comment.state == "pending"
    html = Client().get(url("consultation", premoderated.slug)).content.decode()
    assert "Please keep the old stop." not in html
    queue = client_for(alice).get(reverse("engagement:consultation_moderation",
                                          args=[premoderated.pk])).content.decode()
    assert "Please keep the old stop." in queue
    client_for(alice).post(reverse("engagement:comment_decide", args=[comment.pk]),
                           {"outcome": "published"})
    comment.refresh_from_db()
    assert comment.state == "published"
    assert "Please keep the old stop." in Client().get(
        url("consultation", premoderated.slug)).content.decode()
    assert AuditEvent.objects.filter(action="consultation.comment_published").exists()


def test_flagged_comments_wait_even_under_post_moderation(consultation):
    participant = _participant(consultation)
    spam = participation.comment_submit(consultation=consultation, participant=participant,
                                        body="Click here for free money")
    abuse = participation.comment_submit(consultation=consultation, participant=participant,
                                         body="You are all idiots")
    fine = participation.comment_submit(consultation=consultation, participant=participant,
                                        body="Good plan")
    assert (spam.state, spam.flags) == ("pending", ["spam"])
    assert (abuse.state, abuse.flags) == ("pending", ["abuse"])
    assert fine.state == "published"


def test_rejection_needs_a_reason_shown_to_the_author_who_may_appeal(
        premoderated, alice, erin, django_capture_on_commit_callbacks):
    client = signed_in_client(premoderated, django_capture_on_commit_callbacks)
    client.post(url("consultation_comment", premoderated.slug),
                {"form": "whole", "body": "Call the minister at home"})
    comment = Comment.objects.get()
    with pytest.raises(ValidationError, match="reason"):
        moderation.comment_moderate(actor=alice, comment=comment, outcome="rejected")
    with pytest.raises(ValidationError, match="publish or reject"):
        moderation.comment_moderate(actor=alice, comment=comment, outcome="deleted")
    decision = moderation.comment_moderate(actor=alice, comment=comment, outcome="rejected",
                                           reason="Personal details of a person.")
    html = client.get(url("consultation", premoderated.slug)).content.decode()
    assert "Personal details of a person." in html and 'name="appeal"' in html
    # Another citizen cannot appeal someone else's decision (tampered hidden field).
    stranger = Participant.objects.create(consultation=premoderated, key="x",
                                          session_hash="x", name="X")
    with pytest.raises(ValidationError, match="not available"):
        moderation.comment_appeal(participant=stranger, decision_id=decision.pk, text="Hm")
    empty = client.post(url("consultation_appeal", premoderated.slug),
                        {"decision": decision.pk, "appeal": " "})
    assert empty.status_code == 400
    assert client.post(url("consultation_appeal", premoderated.slug), {
        "decision": decision.pk, "appeal": "It is his office number."}).status_code == 302
    with pytest.raises(ValidationError, match="already appealed"):
        moderation.comment_appeal(participant=comment.participant, decision_id=decision.pk,
                                  text="Again")
    decision.refresh_from_db()
    # The moderator who decided does not judge the appeal.
    with pytest.raises(PermissionDenied):
        moderation.appeal_decide(actor=alice, decision=decision, upheld=True, reason="No")
    moderation.appeal_decide(actor=erin, decision=decision, upheld=False,
                             reason="An office number is public.")
    comment.refresh_from_db()
    assert comment.state == "published"
    with pytest.raises(ValidationError, match="already been decided"):
        moderation.appeal_decide(actor=erin, decision=decision, upheld=True, reason="x")
    assert AuditEvent.objects.filter(action="consultation.appeal_decided").count() == 1


def test_only_managers_of_the_agency_moderate(premoderated, bob, carol, client_for):
    comment = participation.comment_submit(consultation=premoderated,
                                           participant=_participant(premoderated), body="Hi")
    with pytest.raises(PermissionDenied):
        moderation.comment_moderate(actor=bob, comment=comment, outcome="published")
    assert client_for(carol).post(reverse("engagement:comment_decide", args=[comment.pk]),
                                  {"outcome": "published"}).status_code == 404
    assert client_for(bob).get(reverse("engagement:consultation_moderation",
                                       args=[premoderated.pk])).status_code == 403
    comment.refresh_from_db()
    assert comment.state == "pending"


def test_citizen_statements_are_moderated(consultation, alice):
    statement = participation.statement_submit(consultation=consultation,
                                               participant=_participant(consultation),
                                               text="Buses should be free for students")
    assert statement.state == "pending" and statement.origin == "citizen"
    with pytest.raises(ValidationError):
        participation.statement_vote(consultation=consultation, voter_key="v",
                                     statement_id=statement.pk, vote=1)
    moderation.statement_moderate(actor=alice, statement=statement, outcome="published")
    participation.statement_vote(consultation=consultation, voter_key="v",
                                 statement_id=statement.pk, vote=1)
    with pytest.raises(ValidationError, match="already there"):
        participation.statement_submit(consultation=consultation,
                                       participant=_participant(consultation, "k2"),
                                       text="buses should be free for students")
    with pytest.raises(ValidationError, match="one line"):
        participation.statement_submit(consultation=consultation,
                                       participant=_participant(consultation, "k3"),
                                       text="Two\nlines")
    with pytest.raises(ValidationError, match="at most 280"):
        participation.statement_submit(consultation=consultation,
                                       participant=_participant(consultation, "k4"),
                                       text="x" * 281)
