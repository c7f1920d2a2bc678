import pytest
from django.urls import reverse

from townsquare.inbox.models import CannedReply, Conversation, RoutingRule, Status
from townsquare.inbox.services.ingest import message_ingest
from townsquare.inbox.services.work import conversation_transfer


@pytest.fixture
def hostile(transport_account, deliver):
    return message_ingest(inbound_item=deliver(
        transport_account, "<script>alert('x')</script> bus 🚌‍🔥 late", remote_id="666",
        name="\u202egnp.exe <b>bold</b>")).conversation


def _url(name, conversation, *extra):
    return reverse(f"inbox:{name}", args=[conversation.pk, *extra])


def test_queue_and_conversation_for_bob_with_escaped_hostile_text(client_for, bob, hostile):
    c = client_for(bob)
    queue = c.get(reverse("inbox:queue"))
    assert queue.status_code == 200
    assert hostile.tracking_number in queue.content.decode()
    page = c.get(_url("conversation", hostile))
    body = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert" not in body and "&lt;script&gt;" in body
    assert "\u202e" not in body and "&lt;b&gt;bold" in body
    assert "Send the answer" in body


def test_carol_gets_404_for_transport_everywhere(client_for, carol, hostile):
    c = client_for(carol)
    assert hostile.tracking_number not in c.get(reverse("inbox:queue")).content.decode()
    for name in ("conversation",):
        assert c.get(_url(name, hostile)).status_code == 404
    for name in ("reply", "note", "assign", "status", "transfer", "link", "composing"):
        assert c.post(_url(name, hostile), {"text": "x", "status": "closed"}).status_code == 404
    hostile.refresh_from_db()
    assert hostile.status == Status.NEW


def test_dana_sees_but_cannot_act(client_for, dana, hostile):
    c = client_for(dana)
    page = c.get(_url("conversation", hostile))
    assert page.status_code == 200 and "Send the answer" not in page.content.decode()
    assert c.post(_url("status", hostile), {"status": "closed"}).status_code == 403


def test_bob_replies_assigns_and_resolves_through_the_pages(
    client_for, bob, hostile, recorder, django_capture_on_commit_callbacks
):
    c = client_for(bob)
    seen = hostile.messages.latest("pk").pk
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(_url("reply", hostile), {"text": "On it", "seen_message_id": seen})
    assert response.status_code == 302
    assert recorder.sent == [("reply", "666", "On it")]
    assert c.post(_url("assign", hostile), {"take": "1"}).status_code == 302
    assert c.post(_url("status", hostile), {"status": "resolved"}).status_code == 302
    hostile.refresh_from_db()
    assert hostile.assignee == bob and hostile.status == Status.RESOLVED
    # Bad input: an empty answer and a made-up status are refused with a message.
    assert c.post(_url("reply", hostile), {"text": "  "}).status_code == 400
    assert c.post(_url("status", hostile), {"status": "gone"}).status_code == 400


def test_collision_warning_keeps_the_text(client_for, bob, alice, hostile, recorder):
    seen = hostile.messages.latest("pk").pk
    client_for(alice).post(_url("reply", hostile), {"text": "alice first",
                                                    "seen_message_id": seen})
    response = client_for(bob).post(_url("reply", hostile), {"text": "bob second",
                                                            "seen_message_id": seen})
    assert response.status_code == 409
    body = response.content.decode()
    assert "A colleague answered" in body and "bob second" in body
    forced = client_for(bob).post(_url("reply", hostile), {
        "text": "bob second", "seen_message_id": seen, "send_anyway": "1"})
    assert forced.status_code == 302


def test_composing_marker_is_shown_to_colleagues(client_for, bob, alice, hostile):
    assert client_for(alice).post(_url("composing", hostile)).status_code == 204
    body = client_for(bob).get(_url("conversation", hostile)).content.decode()
    assert "Alice started answering" in body


def test_nadia_sees_only_what_was_transferred_to_her_ngo(client_for, government, bob, nadia,
                                                        hostile, *, transport_account, deliver):
    other = message_ingest(inbound_item=deliver(transport_account, "x", author="z")).conversation
    c = client_for(nadia)
    assert c.get(_url("conversation", hostile)).status_code == 404
    response = client_for(bob).post(_url("transfer", hostile), {
        "to_organisation": government["ngo"].pk, "reason": "Food parcels"})
    assert response.status_code == 302
    assert c.get(_url("conversation", hostile)).status_code == 200
    assert c.get(_url("conversation", other)).status_code == 404
    queue = c.get(reverse("inbox:queue")).content.decode()
    assert hostile.tracking_number in queue and other.tracking_number not in queue


def test_transfer_needs_a_reason_and_always_offers_destinations(client_for, bob, hostile,
                                                               government):
    c = client_for(bob)
    page = c.get(_url("conversation", hostile)).content.decode()
    for name in ("Health Agency", "Harbour Food Bank", "Government Communications Office"):
        assert name in page
    response = c.post(_url("transfer", hostile), {"to_organisation": government["health"].pk,
                                                  "reason": ""})
    assert response.status_code == 400
    assert Conversation.objects.get(pk=hostile.pk).organisation == government["transport"]


def test_queue_counts_and_filters(client_for, bob, transport_account, deliver):
    message_ingest(inbound_item=deliver(transport_account, "fire! someone is trapped",
                                        author="e"))
    message_ingest(inbound_item=deliver(transport_account, "timetable?", author="f"))
    c = client_for(bob)
    body = c.get(reverse("inbox:queue") + "?queue=emergency").content.decode()
    assert "Emergencies (1)" in body and "New (2)" in body
    assert c.get(reverse("inbox:queue") + "?queue=nonsense&status=bogus").status_code == 200
    found = c.get(reverse("inbox:queue") + "?q=timetable").content.decode()
    assert found.count("inbox/") >= 1 and "trapped" not in found


def test_staff_enter_a_phone_case(client_for, bob, government, nadia):
    c = client_for(bob)
    response = c.post(reverse("inbox:case_new"), {
        "organisation": government["transport"].pk, "channel": "phone",
        "citizen_name": "Layla", "citizen_reference": "+971 50 123", "text": "Lost wallet",
    })
    assert response.status_code == 302
    case = Conversation.objects.get(channel="phone")
    assert case.organisation == government["transport"]
    bad = c.post(reverse("inbox:case_new"), {
        "organisation": government["health"].pk, "channel": "phone", "text": "x"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


def test_canned_reply_prefills_in_the_conversation_language(client_for, alice, bob, hostile,
                                                           government):
    response = client_for(alice).post(reverse("inbox:canned"), {
        "organisation": government["transport"].pk, "title": "Delay",
        "text_en": "Sorry for the delay.", "text_ar": "نعتذر عن التأخير."})
    assert response.status_code == 302
    canned = CannedReply.objects.get()
    page = client_for(bob).get(_url("conversation", hostile) + f"?canned={canned.pk}")
    assert "Sorry for the delay." in page.content.decode()
    # Bob is not an administrator: he uses canned replies but does not write them.
    assert client_for(bob).post(reverse("inbox:canned"), {"title": "x"}).status_code == 403


def test_routing_rules_page(client_for, alice, carol, government):
    c = client_for(alice)
    empty = c.post(reverse("inbox:rules"), {
        "organisation": government["transport"].pk, "name": "catch-all", "position": 1,
        "target_organisation": government["health"].pk})
    assert empty.status_code == 400 and "at least one keyword" in empty.content.decode()
    ok = c.post(reverse("inbox:rules"), {
        "organisation": government["transport"].pk, "name": "hospital", "position": 1,
        "keywords_en": "hospital", "keywords_ar": "مستشفى", "keywords_zh": "医院",
        "target_organisation": government["health"].pk})
    assert ok.status_code == 302
    rule = RoutingRule.objects.get()
    assert client_for(carol).post(reverse("inbox:rule_delete", args=[rule.pk])).status_code == 404


def test_link_contacts_by_tracking_number(client_for, bob, hostile, transport_account, deliver):
    other = message_ingest(inbound_item=deliver(transport_account, "x", author="q")).conversation
    c = client_for(bob)
    bad = c.post(_url("link", hostile), {"tracking_number": "TS-0000-000", "reason": "same"})
    assert bad.status_code == 400 and "No conversation" in bad.content.decode()
    ok = c.post(_url("link", hostile), {"tracking_number": other.tracking_number.lower(),
                                        "reason": "Same name and phone"})
    assert ok.status_code == 302
    other.refresh_from_db()
    assert other.contact_id == hostile.contact_id


def test_moving_to_health_after_transfer_hides_it_from_bob(client_for, bob, carol, hostile,
                                                          government):
    conversation_transfer(actor=bob, conversation=hostile, to_organisation=government["health"],
                          reason="hospital")
    assert client_for(bob).get(_url("conversation", hostile)).status_code == 404
    assert client_for(carol).get(_url("conversation", hostile)).status_code == 200


def test_console_pages_in_arabic_are_right_to_left(client_for, bob, hostile):
    bob.language = "ar"
    bob.save(update_fields=["language"])
    c = client_for(bob)
    for url in (reverse("inbox:queue"), _url("conversation", hostile), reverse("inbox:rules")):
        body = c.get(url).content.decode()
        assert 'dir="rtl"' in body and 'lang="ar"' in body
