"""Surveys verified by SMS code: numbers, codes, the texts sent through the organisation's
SMS account (against the local fake Twilio-style gateway of the channels SMS tests)."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from townsquare.channels.adapters.base import Credentials
from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest, FakeResponse
from townsquare.channels.models import AccountStatus, ConnectionState
from townsquare.channels.services.accounts import account_create
from townsquare.channels.services.credentials import credentials_store
from townsquare.core.models import AuditEvent
from townsquare.engagement import sms
from townsquare.engagement.models import RespondentMode, Response, Survey
from townsquare.engagement.services import builder
from townsquare.engagement.services.responses import response_start

from .conftest import options

FIXTURES = Path(__file__).resolve().parents[2] / "channels/adapters/sms/fixtures"
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "f00dfeedSecretAuthToken0123456789"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
OUR_NUMBER = "+14155550100"
CITIZEN = "+971501234567"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def url(name, *args):
    return reverse(f"engagement_public:{name}", args=args)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeNetwork]:
    with FakeNetwork() as network:
        yield network


@pytest.fixture
def gateway(server: FakeNetwork) -> FakeNetwork:
    server.reset()
    server.route("POST", MESSAGES, FakeResponse(201, fixture("message_created.json")))
    return server


def connect_sms(organisation, actor, gateway, handle=OUR_NUMBER):
    account = account_create(actor=actor, organisation=organisation, network="sms",
                             handle=handle, config={"api_base_url": gateway.url,
                                                    "account_sid": SID, "from_number": handle})
    credentials_store(actor=actor, account=account,
                      credentials=Credentials(extra={"auth_token": TOKEN}))
    account.refresh_from_db()
    return account


@pytest.fixture
def sms_account(government, alice, gateway):
    return connect_sms(government["transport"], alice, gateway)


@pytest.fixture
def sms_survey(draft, alice, sms_account):
    builder.survey_update(actor=alice, survey=draft, respondent_mode=RespondentMode.VERIFIED_SMS)
    return builder.survey_publish(actor=alice, survey=draft)


@pytest.fixture(autouse=True)
def _country(settings):
    # The demo government's numbers are in the United Arab Emirates.
    settings.ENGAGEMENT_SMS_COUNTRY_CODE = "971"


def texts(gateway: FakeNetwork) -> list[dict[str, list[str]]]:
    return [r.form() for r in gateway.requests if r.method == "POST" and r.path == MESSAGES]


def code_in(text: dict[str, list[str]]) -> str:
    return re.search(r"\b(\d{6})\b", text["Body"][0]).group(1)


def ask_code(client, survey, phone, capture, **extra):
    with capture(execute=True):
        return client.post(url("verify_sms", survey.slug), {"phone": phone, "action": "send",
                                                           **extra})


def give_code(client, survey, phone, code):
    return client.post(url("verify_sms", survey.slug), {"phone": phone, "code": code,
                                                       "action": "check"})


def other_than(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --- numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "expected"), [
    ("+971 50 123 4567", "+971501234567"),
    ("00971-50-123-4567", "+971501234567"),
    ("050 123 4567", "+971501234567"),  # national: trunk 0 dropped, 971 in front
    ("50.123.4567", "+971501234567"),
    ("(050) 123-4567", "+971501234567"),
    ("+٩٧١ ٥٠ ١٢٣ ٤٥٦٧", "+971501234567"),  # Arabic-Indic digits
    ("۰۵۰۱۲۳۴۵۶۷", "+971501234567"),  # Eastern Arabic-Indic (Persian/Urdu) digits
    ("＋９７１５０１２３４５６７", "+971501234567"),  # full-width, from Chinese keyboards
    ("\u200f+971\u200e 50\u200b123\u20604567\ufeff", "+971501234567"),  # bidi, zero-width
    ("\u2066+971 50 123 4567\u2069", "+971501234567"),  # isolates around a pasted number
    ("+1 (415) 555\u20110100", "+14155550100"),  # non-breaking hyphen
    ("+44\u00a07700\u202f900123", "+447700900123"),  # no-break and narrow no-break spaces
    ("+290 1234", "+2901234"),  # 7 digits: among the shortest numbers in use
    ("+123456789012345", "+123456789012345"),  # 15 digits: the E.164 maximum
])
def test_numbers_are_normalised_to_e164(settings, typed, expected):
    settings.ENGAGEMENT_SMS_COUNTRY_CODE = "971"
    assert sms.normalise_phone(typed) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter your mobile number"),
    ("  \u200f ", "Enter your mobile number"),
    ("+971 50 CALL ME", "only digits"),
    ("050 123 4567 ext 2", "only digits"),
    ("+971 50 123 4567 / 8", "only digits"),
    ("٠٥٠١٢٣٤٥٦٧x", "only digits"),
    ("+971+50 123", "+ only at the start"),
    ("050 +123", "+ only at the start"),
    ("+0971 50 123 4567", "No country code starts with 0"),
    ("0000971501234567", "No country code starts with 0"),
    ("+12345", "too short"),
    ("0", "too short"),
    ("+1234567890123456", "too long"),
    ("1" * 65, "too long"),
    ("²⁰⁵⁰¹²³⁴⁵⁶⁷", "only digits"),  # superscripts are digits to Python, not to us
])
def test_bad_numbers_get_a_clear_message(settings, typed, message):
    settings.ENGAGEMENT_SMS_COUNTRY_CODE = "971"
    with pytest.raises(ValidationError, match=re.escape(message)):
        sms.normalise_phone(typed)


def test_national_numbers_need_a_country_code_setting(settings):
    settings.ENGAGEMENT_SMS_COUNTRY_CODE = ""
    with pytest.raises(ValidationError, match="country code, starting with"):
        sms.normalise_phone("050 123 4567")
    assert sms.normalise_phone("+971 50 123 4567") == "+971501234567"
    # North America: the trunk prefix is 1, not 0.
    settings.ENGAGEMENT_SMS_COUNTRY_CODE, settings.ENGAGEMENT_SMS_TRUNK_PREFIX = "1", "1"
    assert sms.normalise_phone("1 415 555 0100") == "+14155550100"
    assert sms.normalise_phone("415 555 0100") == "+14155550100"


# --- which account sends ---------------------------------------------------------------


def test_the_nearest_connected_account_sends(government, alice, gateway):
    transport = government["transport"]
    assert sms.sms_account_for(transport) is None
    parent = connect_sms(government["gov"], None, gateway, handle="+14155550101")
    assert sms.sms_account_for(transport) == parent
    own = connect_sms(transport, alice, gateway)
    assert sms.sms_account_for(transport) == own
    assert sms.sms_account_for(government["health"]) == parent  # a sibling's is not used
    own.connection_state = ConnectionState.EXPIRED
    own.save()
    assert sms.sms_account_for(transport) == parent
    parent.status = AccountStatus.RETIRED
    parent.save()
    assert sms.sms_account_for(transport) is None


# --- the builder -----------------------------------------------------------------------


def test_builder_refuses_the_mode_without_an_sms_account(government, alice, client_for, draft):
    with pytest.raises(ValidationError, match="no connected SMS account"):
        builder.survey_create(actor=alice, organisation=government["transport"], title="T",
                              respondent_mode=RespondentMode.VERIFIED_SMS)
    with pytest.raises(ValidationError, match="Connect one under Channels"):
        builder.survey_update(actor=alice, survey=draft,
                              respondent_mode=RespondentMode.VERIFIED_SMS)
    page = client_for(alice).post(reverse("engagement:survey_new"), {
        "organisation": government["transport"].pk, "title": "By text",
        "respondent_mode": "verified_sms"})
    assert page.status_code == 200
    assert "no connected SMS account" in page.content.decode()
    assert not Survey.objects.filter(title="By text").exists()


def test_builder_accepts_the_mode_with_an_account_and_the_email_mode_still_works(
        government, alice, client_for, sms_account):
    page = client_for(alice).post(reverse("engagement:survey_new"), {
        "organisation": government["transport"].pk, "title": "By text",
        "respondent_mode": "verified_sms"})
    assert page.status_code == 302
    survey = Survey.objects.get(title="By text")
    assert survey.respondent_mode == "verified_sms"
    assert survey.get_respondent_mode_display() == "Verified by SMS code"
    email = builder.survey_create(actor=alice, organisation=government["transport"], title="E",
                                  respondent_mode=RespondentMode.VERIFIED)
    assert email.get_respondent_mode_display() == "Verified by email code"


def test_publishing_is_refused_once_the_account_is_gone(draft, alice, sms_account):
    builder.survey_update(actor=alice, survey=draft, respondent_mode=RespondentMode.VERIFIED_SMS)
    sms_account.connection_state = ConnectionState.REVOKED
    sms_account.save()
    with pytest.raises(ValidationError, match="no connected SMS account"):
        builder.survey_publish(actor=alice, survey=draft)
    # Other edits of the draft still work.
    builder.survey_update(actor=alice, survey=draft, title="Renamed")


# --- the respondent's way through ------------------------------------------------------


def test_request_code_sends_it_through_the_account_and_starts_the_survey(
        sms_survey, gateway, django_capture_on_commit_callbacks):
    client = Client()
    assert client.post(url("survey", sms_survey.slug))["Location"].endswith("/verify-by-sms/")
    form = client.get(url("verify_sms", sms_survey.slug))
    assert form.status_code == 200 and b'type="tel"' in form.content
    asked = ask_code(client, sms_survey, "+971 50 123 4567", django_capture_on_commit_callbacks)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "+971501234567" in page and 'id="code"' in page
    [text] = texts(gateway)
    assert text["To"] == [CITIZEN] and text["From"] == [OUR_NUMBER]
    assert "Bus service survey" in text["Body"][0] and "15 minutes" in text["Body"][0]
    # Basic auth with the account's stored token, as the inbox's replies use.
    assert gateway.requests[-1].headers["authorization"].startswith("Basic ")
    done = give_code(client, sms_survey, "+971501234567", code_in(text))
    assert done.status_code == 302 and done["Location"].endswith("/page/1/")
    response = Response.objects.get(survey=sms_survey)
    assert response.respondent_key and "971" not in response.respondent_key
    assert response.respondent_key != sms.identity.keyed_hash(
        f"respondent:{sms_survey.pk}", CITIZEN)  # never equal to an email-mode key
    # Nothing about the number is kept in plain anywhere in the database row.
    row = Response.objects.filter(pk=response.pk).values().get()
    assert not any("501234567" in str(value) for value in row.values())


def test_the_text_is_in_the_respondents_language(sms_survey, gateway,
                                                 django_capture_on_commit_callbacks):
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    page = client.get(url("verify_sms", sms_survey.slug))
    html = page.content.decode()
    assert 'dir="rtl"' in html and 'dir="ltr"' in html  # the number field stays left-to-right
    assert "<script>" not in html.split("</head>")[1].split("<script src=")[0]
    ask_code(client, sms_survey, "٠٥٠ ١٢٣ ٤٥٦٧", django_capture_on_commit_callbacks)
    [text] = texts(gateway)
    assert text["To"] == ["+971501234567"]  # the country code of these tests
    assert "استبيان الحافلات" in text["Body"][0]  # the survey's Arabic title
    assert give_code(client, sms_survey, "+971501234567", code_in(text)).status_code == 302


def test_wrong_code_then_right_code(sms_survey, gateway, django_capture_on_commit_callbacks):
    client = Client()
    ask_code(client, sms_survey, CITIZEN, django_capture_on_commit_callbacks)
    code = code_in(texts(gateway)[0])
    wrong = give_code(client, sms_survey, CITIZEN, other_than(code))
    assert wrong.status_code == 400
    body = wrong.content.decode()
    assert "not right" in body and 'aria-invalid="true"' in body and CITIZEN in body
    # Enter pressed in the code field, by a browser that sent no button value.
    done = client.post(url("verify_sms", sms_survey.slug), {"phone": CITIZEN, "code": code})
    assert done.status_code == 302


def test_expired_code_is_refused(sms_survey, gateway, django_capture_on_commit_callbacks):
    client = Client()
    with time_machine.travel(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        ask_code(client, sms_survey, CITIZEN, django_capture_on_commit_callbacks)
    code = code_in(texts(gateway)[0])
    with time_machine.travel(dt.datetime(2026, 5, 1, 9, 16, tzinfo=dt.UTC), tick=False):
        late = give_code(client, sms_survey, CITIZEN, code)
    assert late.status_code == 400 and "15 minutes" in late.content.decode()
    assert not Response.objects.filter(survey=sms_survey).exists()


def test_five_wrong_codes_then_a_new_code_is_needed(sms_survey, gateway,
                                                   django_capture_on_commit_callbacks):
    client = Client()
    ask_code(client, sms_survey, CITIZEN, django_capture_on_commit_callbacks)
    code = code_in(texts(gateway)[0])
    for _ in range(5):
        assert "not right" in give_code(client, sms_survey, CITIZEN,
                                        other_than(code)).content.decode()
    # Even the right code no longer works: brute force gets five tries per code.
    refused = give_code(client, sms_survey, CITIZEN, code).content.decode()
    assert "Too many wrong codes" in refused
    assert "no longer valid" in give_code(client, sms_survey, CITIZEN, code).content.decode()
    ask_code(client, sms_survey, CITIZEN, django_capture_on_commit_callbacks, action="send")
    assert give_code(client, sms_survey, CITIZEN, code_in(texts(gateway)[1])).status_code == 302


def test_each_code_gets_five_comparisons_in_all(sms_survey, gateway,
                                                     django_capture_on_commit_callbacks):
    ask_code(Client(), sms_survey, CITIZEN, django_capture_on_commit_callbacks)
    code = code_in(texts(gateway)[0])
    wrong = other_than(code)
    results = [sms.identity.code_check(scope=f"sms:{sms_survey.pk}", identity=CITIZEN,
                                       code=wrong) for _ in range(8)]
    assert [r.value for r in results] == ["wrong"] * 5 + ["too_many", "none", "none"]


def test_a_used_code_cannot_be_replayed(sms_survey, gateway, django_capture_on_commit_callbacks):
    first = Client()
    ask_code(first, sms_survey, CITIZEN, django_capture_on_commit_callbacks)
    code = code_in(texts(gateway)[0])
    assert give_code(first, sms_survey, CITIZEN, code).status_code == 302
    replay = give_code(Client(), sms_survey, CITIZEN, code)
    assert replay.status_code == 400 and "no longer valid" in replay.content.decode()
    assert f"ts_survey_{sms_survey.pk}" not in replay.cookies


def test_one_response_per_number(sms_survey, gateway, django_capture_on_commit_callbacks):
    first = Client()
    ask_code(first, sms_survey, "050 123 4567", django_capture_on_commit_callbacks)
    give_code(first, sms_survey, CITIZEN, code_in(texts(gateway)[0]))
    first.post(url("page", sms_survey.slug, 1), {"q-happy": "yes"})
    first.post(url("page", sms_survey.slug, 2), {"q-region": "north"})
    first.post(url("review", sms_survey.slug))
    assert Response.objects.get(survey=sms_survey).submitted_at is not None
    # The same number typed another way, on another device.
    other = Client()
    ask_code(other, sms_survey, "+٩٧١ ٥٠ ١٢٣ ٤٥٦٧", django_capture_on_commit_callbacks)
    again = give_code(other, sms_survey, CITIZEN, code_in(texts(gateway)[1]))
    assert "already answered" in again.content.decode()
    assert Response.objects.filter(survey=sms_survey).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_with_the_same_number_leave_one_response(government, alice, server):
    server.reset()
    server.route("POST", MESSAGES, FakeResponse(201, fixture("message_created.json")))
    cache.clear()
    connect_sms(government["transport"], alice, server)
    survey = builder.survey_create(actor=alice, organisation=government["transport"],
                                   title="Race", respondent_mode=RespondentMode.VERIFIED_SMS)
    section = builder.section_add(actor=alice, survey=survey, title="One")
    builder.question_add(actor=alice, section=section, kind="single", key="q", text="Q?",
                         options=options("A", "B"))
    survey = builder.survey_publish(actor=alice, survey=survey)
    sms.sms_code_request(survey=survey, phone=CITIZEN, language="en")  # autocommit: sent now
    key = sms.sms_code_check(survey_id=survey.pk, phone=CITIZEN,
                             code=code_in(texts(server)[0]))
    if connection.vendor == "sqlite":
        # SQLite serialises writers, so threads cannot really race there: force the race
        # by inserting the other device's response behind the service's back first.
        Response.objects.create(survey=survey, respondent_key=key, resume_hash="other")
        response, _token = response_start(survey=survey, respondent_key=key)
        assert response.resume_hash != "other"  # the same row, given this device's secret
    else:
        barrier = threading.Barrier(2)
        started, errors = [], []

        def start():
            try:
                barrier.wait()
                started.append(response_start(survey=survey, respondent_key=key)[0].pk)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=start) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(started) == 2 and len(set(started)) == 1
    assert Response.objects.filter(survey=survey).count() == 1
    cache.clear()


# --- what goes wrong -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # sent at once, as in a request
def test_gateway_refusal_is_explained_and_keeps_the_number(sms_survey, gateway,
                                                          django_capture_on_commit_callbacks):
    gateway.route("POST", MESSAGES, FakeResponse(400, fixture("error_21211_invalid_to.json")))
    client = Client()
    page = ask_code(client, sms_survey, "050 123 4567", django_capture_on_commit_callbacks)
    body = page.content.decode()
    assert "could not send a code to this number" in body
    assert 'value="050 123 4567"' in body and 'id="phone"' in body  # as typed
    assert not Response.objects.exists()
    # Fixed on the gateway's side: asking again works.
    gateway.route("POST", MESSAGES, FakeResponse(201, fixture("message_created.json")))
    ask_code(client, sms_survey, "050 123 4567", django_capture_on_commit_callbacks)
    assert give_code(client, sms_survey, CITIZEN, code_in(texts(gateway)[-1])).status_code == 302


@pytest.mark.django_db(transaction=True)  # sent at once, as in a request
def test_gateway_timeout_is_explained(sms_survey, sms_account, gateway,
                                      django_capture_on_commit_callbacks):
    sms_account.config = {**sms_account.config, "timeout": 0.3}
    sms_account.save()

    def slow(request: FakeRequest) -> FakeResponse:
        time.sleep(0.6)  # longer than the account's timeout: the adapter gives up
        return FakeResponse(201, fixture("message_created.json"))

    gateway.route("POST", MESSAGES, slow)
    page = ask_code(Client(), sms_survey, CITIZEN, django_capture_on_commit_callbacks)
    assert "not working just now" in page.content.decode()
    assert CITIZEN in page.content.decode()


def test_a_failed_text_is_explained_when_the_code_is_given(
        sms_survey, gateway, django_capture_on_commit_callbacks):
    """With a real worker the page is shown before the text goes out; a failure is told
    when the respondent gives a code, and they can ask again from there."""
    client = Client()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        page = client.post(url("verify_sms", sms_survey.slug), {"phone": CITIZEN})
    assert 'id="code"' in page.content.decode()
    assert sms.delivery_status(survey_id=sms_survey.pk, phone=CITIZEN).state == "sending"
    gateway.route("POST", MESSAGES, FakeResponse(503, "Service Unavailable"))
    for callback in queued:  # the worker picks the task up now
        callback()
    assert sms.delivery_status(survey_id=sms_survey.pk, phone=CITIZEN).state == "failed"
    told = give_code(client, sms_survey, CITIZEN, "123456")
    assert told.status_code == 400
    body = told.content.decode()
    assert "not working just now" in body and "Send a new code" in body
    assert f'value="{CITIZEN}"' in body


@pytest.mark.django_db(transaction=True)  # sent at once, as in a request
def test_expired_authorisation_marks_the_account_and_respondents_are_told(
        sms_survey, sms_account, gateway, alice, django_capture_on_commit_callbacks):
    gateway.route("POST", MESSAGES, FakeResponse(401, fixture("error_20003_authenticate.json")))
    page = ask_code(Client(), sms_survey, CITIZEN, django_capture_on_commit_callbacks)
    assert "cannot send codes by text message just now" in page.content.decode()
    sms_account.refresh_from_db()
    assert sms_account.connection_state == ConnectionState.EXPIRED
    assert AuditEvent.objects.filter(action="account.access_lost").exists()
    # From now on the page says so straight away, without an error.
    again = Client().get(url("verify_sms", sms_survey.slug))
    assert again.status_code == 503
    assert "cannot send codes by text message just now" in again.content.decode()


def test_account_gone_after_publishing_shows_a_clear_message(sms_survey, sms_account):
    sms_account.connection_state = ConnectionState.NOT_CONNECTED
    sms_account.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    assert client.post(url("survey", sms_survey.slug)).status_code == 302
    for page in (client.get(url("verify_sms", sms_survey.slug)),
                 client.post(url("verify_sms", sms_survey.slug), {"phone": CITIZEN})):
        assert page.status_code == 503
        assert 'dir="rtl"' in page.content.decode()
    english = Client().get(url("verify_sms", sms_survey.slug)).content.decode()
    assert "cannot send codes by text message just now" in english


def test_bad_numbers_on_the_page_keep_what_was_typed(sms_survey, gateway):
    client = Client()
    page = client.post(url("verify_sms", sms_survey.slug), {"phone": "050 CALL ME"})
    assert page.status_code == 400
    body = page.content.decode()
    assert "only digits" in body and 'value="050 CALL ME"' in body and 'href="#phone"' in body
    tampered = client.post(url("verify_sms", sms_survey.slug),
                           {"phone": "<script>", "code": "123456", "action": "check"})
    assert tampered.status_code == 400 and "<script>" not in tampered.content.decode()
    change = client.post(url("verify_sms", sms_survey.slug),
                         {"phone": CITIZEN, "action": "change"})
    assert f'value="{CITIZEN}"' in change.content.decode()
    assert texts(gateway) == []


def test_resend_is_rate_limited_per_number_and_per_address(
        sms_survey, gateway, settings, django_capture_on_commit_callbacks):
    settings.ENGAGEMENT_SMS_CODES_PER_NUMBER = 2
    settings.ENGAGEMENT_SMS_CODES_PER_ADDRESS = 3
    client = Client()
    for _ in range(2):
        assert ask_code(client, sms_survey, CITIZEN,
                        django_capture_on_commit_callbacks).status_code == 200
    limited = ask_code(client, sms_survey, "050 123 4567", django_capture_on_commit_callbacks)
    assert limited.status_code == 429
    assert "nothing you entered is lost" in limited.content.decode()
    assert 'value="050 123 4567"' in limited.content.decode()
    assert len(texts(gateway)) == 2
    # Another number from the same address: the address limit (3) stops the fourth.
    assert ask_code(client, sms_survey, "+971501234568",
                    django_capture_on_commit_callbacks).status_code == 429
    assert len(texts(gateway)) == 2


def test_other_surveys_have_no_sms_page(survey):
    assert Client().get(url("verify_sms", survey.slug)).status_code == 404
