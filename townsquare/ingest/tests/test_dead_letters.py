"""The dead-letter console: who sees what, counts per reason, the raw payload shown
safely, retry through the pipeline and discard (kept, marked, audited)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from townsquare.channels.models import InboundItem
from townsquare.core.models import AuditEvent
from townsquare.ingest.deadletters import shown_payload
from townsquare.ingest.models import ItemEnrichment, Rejection, RejectionState
from townsquare.ingest.runner import ingest_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_letters(message, transport_account):
    """Transport's empty text, a too-long text, and bytes nobody can attribute."""
    raws = [
        message("e1", ""),
        message("long", "bus " * 20_000),
        b'{"remote_id": "x", "text": "caf\xe9 \xff"}',
        json.dumps({"network": "mastodon", "account_ref": "nobody", "remote_id": "n1",
                    "text": "unknown account"}).encode(),
    ]
    ingest_stream(raws, source="test", workers=0)
    return {r.reason: r for r in Rejection.objects.all()}


def test_dead_letters_belong_to_the_account_s_agency(dead_letters, government):
    assert dead_letters["empty_text"].organisation == government["transport"]
    assert dead_letters["text_too_long"].organisation == government["transport"]
    assert dead_letters["invalid_utf8"].organisation is None
    assert dead_letters["unknown_account"].organisation is None


def test_agency_administrator_sees_only_their_agency(client_for, alice, dead_letters):
    response = client_for(alice).get(reverse("ingest:rejections"))
    assert response.status_code == 200
    counts = {code: n for code, _label, n in response.context["counts"]}
    assert counts == {"empty_text": 1, "text_too_long": 1}
    assert len(response.context["rows"]) == 2


def test_communications_office_sees_everything(client_for, dana, dead_letters):
    response = client_for(dana).get(reverse("ingest:rejections"))
    counts = {code: n for code, _label, n in response.context["counts"]}
    assert counts == {"empty_text": 1, "text_too_long": 1, "invalid_utf8": 1,
                      "unknown_account": 1}
    only = client_for(dana).get(reverse("ingest:rejections"), {"reason": "invalid_utf8"})
    assert [r.reason for r, _label in only.context["rows"]] == ["invalid_utf8"]


def test_others_cannot_see_or_act(client_for, bob, carol, dead_letters):
    mine = dead_letters["empty_text"]
    assert client_for(bob).get(reverse("ingest:rejections")).status_code == 403
    carol_client = client_for(carol)
    assert carol_client.get(reverse("ingest:rejections")).context["rows"] == []
    for name in ("ingest:rejection",):
        assert carol_client.get(reverse(name, args=[mine.pk])).status_code == 404
    for name in ("ingest:retry", "ingest:discard"):
        assert carol_client.post(reverse(name, args=[mine.pk])).status_code == 404
        assert client_for(bob).post(reverse(name, args=[mine.pk])).status_code == 404
    mine.refresh_from_db()
    assert mine.state == RejectionState.OPEN
    # An unattributed dead letter is the communications office's only.
    orphan = dead_letters["invalid_utf8"]
    assert client_for(carol).get(reverse("ingest:rejection", args=[orphan.pk])).status_code == 404


def test_raw_payload_is_shown_escaped(client_for, dana, dead_letters):
    orphan = dead_letters["invalid_utf8"]
    response = client_for(dana).get(reverse("ingest:rejection", args=[orphan.pk]))
    body = response.content.decode()
    assert "caf\\xe9 \\xff" in body
    text, cut = shown_payload('<script>\u202eevil\u0000'.encode())
    assert text == "<script>\\u202eevil\\u0000" and not cut
    response = client_for(dana).get(reverse("ingest:rejection",
                                            args=[dead_letters["text_too_long"].pk]))
    assert response.context["cut"] is True


def test_payload_with_markup_is_not_rendered_as_html(client_for, alice, message):
    ingest_stream([message("m1", " ", author_name="<img src=x onerror=alert(1)>")],
                  source="test", workers=0)
    rejection = Rejection.objects.get()
    body = client_for(alice).get(reverse("ingest:rejection", args=[rejection.pk])).content
    assert b"<img src=x" not in body and b"&lt;img src=x" in body


def test_retry_stores_once_the_cause_is_gone(client_for, alice, dead_letters, settings):
    long = dead_letters["text_too_long"]
    client = client_for(alice)
    # Still too long: rejected again, stays waiting, the new reason shown.
    response = client.post(reverse("ingest:retry", args=[long.pk]), follow=True)
    long.refresh_from_db()
    assert (long.state, long.retries, long.last_retry_reason) == ("open", 1, "text_too_long")
    assert "rejected again" in response.content.decode()
    settings.INGEST_MAX_TEXT_CHARS = 100_000
    client.post(reverse("ingest:retry", args=[long.pk]))
    long.refresh_from_db()
    assert (long.state, long.retries, long.resolved_by) == ("retried", 2, alice)
    item = InboundItem.objects.get(remote_id="long")
    assert ItemEnrichment.objects.filter(item=item).count() == 1
    assert AuditEvent.objects.filter(action="ingest.rejection_retry").count() == 2
    # A closed dead letter cannot be retried again, and nothing is stored twice.
    response = client.post(reverse("ingest:retry", args=[long.pk]), follow=True)
    assert "already been dealt with" in response.content.decode()
    assert InboundItem.objects.filter(remote_id="long").count() == 1


def test_retry_after_the_account_is_registered(client_for, dana, dead_letters, alice,
                                               government):
    from townsquare.channels.services.accounts import account_create

    account = account_create(actor=alice, organisation=government["transport"],
                             network="mastodon", handle="@nobody@sandbox.local",
                             display_name="Nobody", responsible=alice)
    account.remote_id = "nobody"
    account.save(update_fields=["remote_id"])
    unknown = dead_letters["unknown_account"]
    client_for(dana).post(reverse("ingest:retry", args=[unknown.pk]))
    unknown.refresh_from_db()
    assert unknown.state == RejectionState.RETRIED
    assert InboundItem.objects.get(remote_id="n1").account == account


def test_discard_keeps_and_marks(client_for, alice, dead_letters):
    empty = dead_letters["empty_text"]
    client_for(alice).post(reverse("ingest:discard", args=[empty.pk]))
    empty.refresh_from_db()
    assert empty.state == RejectionState.DISCARDED and empty.resolved_by == alice
    assert bytes(empty.raw)  # kept, byte for byte
    event = AuditEvent.objects.get(action="ingest.rejection_discard")
    assert event.target_id == str(empty.pk) and event.actor == alice
    listed = client_for(alice).get(reverse("ingest:rejections"))
    assert [r.reason for r, _l in listed.context["rows"]] == ["text_too_long"]
    discarded = client_for(alice).get(reverse("ingest:rejections"), {"state": "discarded"})
    assert [r.pk for r, _l in discarded.context["rows"]] == [empty.pk]
    # Unknown filter values fall back to the waiting ones instead of failing.
    odd = client_for(alice).get(reverse("ingest:rejections"), {"state": "bogus", "page": "x"})
    assert odd.status_code == 200
