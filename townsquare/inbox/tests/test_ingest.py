import threading

import pytest
from django.db import connection

from townsquare.channels.adapters.base import ItemKind
from townsquare.core.models import Notification
from townsquare.inbox.models import (
    Contact,
    Conversation,
    Direction,
    IngestCursor,
    Message,
    RoutingRule,
    Status,
)
from townsquare.inbox.services.ingest import inbound_items_ingest_new, message_ingest
from townsquare.inbox.tracking import tracking_number_parse


def test_one_item_becomes_one_message_whatever_the_number_of_runs(transport_account, deliver):
    item = deliver(transport_account, "The 42 bus never came")
    first = message_ingest(inbound_item=item)
    again = message_ingest(inbound_item=item)
    assert first.pk == again.pk
    assert Message.objects.count() == 1
    conversation = first.conversation
    assert conversation.organisation == transport_account.organisation
    assert conversation.status == Status.NEW
    assert tracking_number_parse(conversation.tracking_number) == conversation.tracking_number


def test_same_item_by_webhook_and_by_polling_is_one_message(transport_account, deliver):
    deliver(transport_account, "late bus", remote_id="77", via="webhook")
    deliver(transport_account, "late bus", remote_id="77", via="poll")
    inbound_items_ingest_new()
    assert Message.objects.count() == 1


def test_our_own_posts_never_become_citizen_messages(transport_account, deliver):
    item = deliver(transport_account, "Our answer echoed back", own=True)
    assert message_ingest(inbound_item=item) is None
    inbound_items_ingest_new()
    assert not Message.objects.exists()


def test_a_burst_from_one_citizen_is_one_conversation(transport_account, deliver):
    for n in range(10):
        deliver(transport_account, f"message {n}", minutes=n)
    inbound_items_ingest_new(batch_size=3)
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 10
    assert Contact.objects.count() == 1


def test_other_citizens_and_other_accounts_get_their_own_conversations(
    transport_account, health_account, deliver
):
    deliver(transport_account, "hi", author="c1")
    deliver(transport_account, "hi", author="c2")
    deliver(health_account, "hi", author="c1")
    inbound_items_ingest_new()
    assert Conversation.objects.count() == 3
    # The same person on the same network is one contact, whichever agency they write to.
    assert Contact.objects.count() == 2


def test_replies_follow_the_network_thread(transport_account, deliver):
    first = message_ingest(inbound_item=deliver(transport_account, "first", remote_id="500"))
    first.conversation.status = Status.CLOSED
    first.conversation.save()
    # Another citizen answering inside the thread joins it… unless it is closed.
    reply = message_ingest(inbound_item=deliver(
        transport_account, "me too", author="c2", in_reply_to="500", kind=ItemKind.REPLY))
    assert reply.conversation != first.conversation
    follow = message_ingest(inbound_item=deliver(
        transport_account, "and again", author="c3", in_reply_to=reply.remote_id,
        kind=ItemKind.REPLY))
    assert follow.conversation == reply.conversation
    assert follow.in_reply_to == reply


def test_a_reply_after_resolution_reopens_and_closed_starts_anew(transport_account, deliver):
    first = message_ingest(inbound_item=deliver(transport_account, "one", remote_id="900"))
    Conversation.objects.filter(pk=first.conversation_id).update(status=Status.RESOLVED)
    second = message_ingest(inbound_item=deliver(
        transport_account, "still broken", minutes=1, in_reply_to="900", kind=ItemKind.REPLY))
    assert second.conversation_id == first.conversation_id
    assert Conversation.objects.get(pk=first.conversation_id).status == Status.OPEN
    Conversation.objects.filter(pk=first.conversation_id).update(status=Status.RESOLVED)
    # Not in the thread: a new question of the same citizen is a new conversation.
    unrelated = message_ingest(inbound_item=deliver(transport_account, "other topic", minutes=2))
    assert unrelated.conversation_id != first.conversation_id
    Conversation.objects.filter(pk=first.conversation_id).update(status=Status.CLOSED)
    third = message_ingest(inbound_item=deliver(
        transport_account, "three", minutes=3, in_reply_to="900", kind=ItemKind.REPLY))
    assert third.conversation_id not in (first.conversation_id,)


def test_the_cursor_moves_forward_and_running_twice_changes_nothing(transport_account, deliver):
    for n in range(5):
        deliver(transport_account, f"m{n}", author=f"c{n}")
    assert inbound_items_ingest_new() == 5
    assert inbound_items_ingest_new() == 0
    assert Message.objects.count() == 5
    cursor = IngestCursor.objects.get()
    assert cursor.last_item_id == Message.objects.latest("pk").source_item_id


def test_an_item_committed_late_below_the_cursor_is_still_ingested(transport_account, deliver):
    early = deliver(transport_account, "early", author="a")
    later = deliver(transport_account, "later", author="b")
    message_ingest(inbound_item=later)
    IngestCursor.objects.create(name="channels.inbound", last_item_id=later.pk)
    inbound_items_ingest_new()
    assert Message.objects.filter(source_item=early).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_ingest_each_item_once(transport_account, deliver):
    for n in range(6):
        deliver(transport_account, f"m{n}", author=f"c{n % 2}", minutes=n)
    errors = []

    def run():
        try:
            inbound_items_ingest_new(batch_size=2)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Message.objects.count() == 6
    assert Message.objects.values("source_item").distinct().count() == 6
    assert Conversation.objects.count() == 2


@pytest.mark.usefixtures("bob", "alice", "carol")
def test_emergency_is_flagged_and_responders_notified_at_once(
    transport_account, deliver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = message_ingest(inbound_item=deliver(
            transport_account, "A man collapsed at the bus stop, not breathing!"))
    conversation = message.conversation
    assert conversation.is_emergency and conversation.priority == 2
    notified = set(Notification.objects.filter(message_key="inbox.emergency")
                   .values_list("recipient__username", flat=True))
    assert notified == {"alice", "bob"}


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("تسرب الغاز في المبنى", "is_emergency"),
        ("楼里煤气泄漏了", "is_emergency"),
        ("you are all i\u200bdiots", "is_abuse"),
        ("أنتم أغبياء", "is_abuse"),
        ("Click here for FREE MONEY", "is_spam"),
        ("加微信免费领取", "is_spam"),
    ],
)
def test_flags_in_three_languages(transport_account, deliver, text, flag):
    message = message_ingest(inbound_item=deliver(transport_account, text))
    assert getattr(message.conversation, flag) is True


def test_plain_questions_are_not_flagged(transport_account, deliver):
    conversation = message_ingest(
        inbound_item=deliver(transport_account, "When does the fireworks ferry leave?")
    ).conversation
    assert not (conversation.is_emergency or conversation.is_abuse or conversation.is_spam)


def test_routing_rules_in_order_then_triage_on_the_central_account(
    government, office_account, deliver
):
    office, health, transport = government["office"], government["health"], government["transport"]
    RoutingRule.objects.create(organisation=office, name="clinics", position=2,
                               keywords_en="clinic, vaccine", keywords_ar="عيادة",
                               keywords_zh="诊所", target_organisation=health)
    RoutingRule.objects.create(organisation=office, name="buses", position=1,
                               keywords_en="bus", target_organisation=transport,
                               target_team=government["buses"], mark_high_priority=True)
    cases = {
        "Is the clinic open?": (health, "clinics", False),
        "متى تفتح العيادة؟": (health, "clinics", False),
        "诊所几点开门": (health, "clinics", False),
        "The bus to the clinic is late": (transport, "buses", False),
        "Who do I ask about parking fines?": (office, None, True),
    }
    for n, (text, (organisation, rule, triage)) in enumerate(cases.items()):
        message = message_ingest(inbound_item=deliver(office_account, text, author=f"p{n}"))
        conversation = message.conversation
        assert conversation.organisation == organisation, text
        assert (conversation.routing_rule.name if conversation.routing_rule else None) == rule
        assert conversation.in_triage is triage
    bus = Conversation.objects.get(routing_rule__name="buses")
    assert bus.team == government["buses"] and bus.priority == 1 and bus.routing_match == "bus"


def test_rules_of_another_agency_do_not_apply_to_my_accounts(government, transport_account,
                                                            deliver):
    RoutingRule.objects.create(organisation=government["health"], name="steal",
                               keywords_en="bus", target_organisation=government["health"])
    message = message_ingest(inbound_item=deliver(transport_account, "bus late"))
    assert message.conversation.organisation == government["transport"]


def test_hostile_input_is_kept_whole_up_to_the_limit(transport_account, deliver):
    long_text = "🚌‍👩‍👩‍👧 " * 1500  # 10,000+ characters with ZWJ sequences
    message = message_ingest(inbound_item=deliver(
        transport_account, long_text, name="\u202eevil\u202c <script>alert(1)</script>"))
    assert message.text == long_text
    assert message.direction == Direction.INBOUND
    assert message.conversation.contact.display_name.startswith("\u202eevil")


def test_the_demo_residents_emergencies_and_spam_are_recognised():
    from townsquare.inbox.detection import detect_flags
    from townsquare.sandbox.messages import SPAM, TEMPLATES

    for topic in TEMPLATES.values():
        for category, by_language in topic.items():
            for templates in by_language.values():
                for template in templates:
                    flags = detect_flags(template.format(place="X", number=3, time="9:00"))
                    assert flags.emergency is (category == "emergency"), template
                    assert not flags.spam, template
    for templates in SPAM.values():
        assert all(detect_flags(t.format(number=7)).spam for t in templates)
