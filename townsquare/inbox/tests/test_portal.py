import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from townsquare.inbox.models import Conversation, RoutingRule
from townsquare.inbox.ratelimit import TRACK_LIMIT
from townsquare.inbox.tracking import tracking_number_new, tracking_number_parse


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    cache.clear()
    yield
    cache.clear()


def test_tracking_numbers_are_checked_and_forgiving():
    number = tracking_number_new()
    assert tracking_number_parse(number) == number
    assert tracking_number_parse(number.lower().replace("-", " ")) == number
    assert tracking_number_parse(number[3:]) == number
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) if ch.isalnum() else ch for ch in number)
    assert tracking_number_parse(fullwidth) == number
    body = number.replace("-", "")[2:]
    wrong = body[:-1] + ("2" if body[-1] != "2" else "3")
    assert tracking_number_parse(wrong) is None  # the check character catches typos
    for bad in ("", "TS-", "TS-0O1I-LLU", "x" * 5000, "<script>", "\x00", "TS-7K3M-Q9XX"):
        assert tracking_number_parse(bad) is None


def test_contact_form_creates_a_web_conversation_and_tells_the_number(government):
    RoutingRule.objects.create(organisation=government["office"], name="bus",
                               keywords_en="bus", target_organisation=government["transport"])
    c = Client()
    response = c.post(reverse("portal:contact"), {
        "text": "The bus shelter on Corniche is broken 🚏👩‍👩‍👧", "name": "Layla",
        "reply_to": "layla@example.org"})
    assert response.status_code == 200
    conversation = Conversation.objects.get()
    assert conversation.channel == "web"
    assert conversation.organisation == government["transport"]
    assert conversation.tracking_number in response.content.decode()
    unknown = c.post(reverse("portal:contact"), {"text": "Who handles parking permits?"})
    assert unknown.status_code == 200
    assert Conversation.objects.get(messages__text__contains="parking").in_triage


def test_contact_form_bad_input_is_refused_and_kept(government):
    c = Client()
    too_long = "ب" * 10_001
    response = c.post(reverse("portal:contact"), {"text": too_long})
    assert response.status_code == 400
    assert "at most 10000" in response.content.decode() or "10000" in response.content.decode()
    assert too_long in response.content.decode()  # nothing lost: the text is still there
    assert c.post(reverse("portal:contact"), {"text": "hi", "name": "\u202eevil"}
                  ).status_code == 400
    ok = c.post(reverse("portal:contact"), {"text": "x" * 10_000})
    assert ok.status_code == 200
    script = c.post(reverse("portal:contact"), {"text": "<script>alert(1)</script>"})
    assert b"<script>alert" not in script.content
    assert Conversation.objects.count() == 2


def test_track_shows_status_and_agency_but_nothing_private(government):
    Client().post(reverse("portal:contact"), {
        "text": "My secret medical details", "organisation": government["health"].pk})
    conversation = Conversation.objects.get()
    response = Client().post(reverse("portal:track"), {"number": conversation.tracking_number})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Health Agency" in body and "New" in body
    assert "secret medical" not in body


@pytest.mark.parametrize("number", ["", "hello", "TS-0000-000", "<script>x</script>",
                                    "ts-2222-222"])
def test_track_refuses_invalid_numbers_clearly(government, number):
    response = Client().post(reverse("portal:track"), {"number": number})
    assert response.status_code == 200
    body = response.content.decode()
    assert "usa-error-message" in body


def test_track_is_rate_limited_against_guessing(government):
    c = Client()
    most, _window = TRACK_LIMIT
    for _ in range(most):
        assert c.post(reverse("portal:track"), {"number": tracking_number_new()}
                      ).status_code == 200
    blocked = c.post(reverse("portal:track"), {"number": tracking_number_new()})
    assert blocked.status_code == 429
    assert "Too many lookups" in blocked.content.decode()


def test_citizen_pages_in_arabic_are_right_to_left(government):
    c = Client(headers={"accept-language": "ar"})
    for name in ("portal:track", "portal:contact"):
        body = c.get(reverse(name)).content.decode()
        assert 'dir="rtl"' in body
