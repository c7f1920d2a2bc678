"""SMS (Twilio-style gateway): segment counting, replies against a fake gateway, webhooks."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from townsquare.channels.adapters.base import (
    AuthExpired,
    ChangeKind,
    Credentials,
    InvalidSignature,
    ItemKind,
    MalformedResponse,
    NotSupported,
    PostRequest,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.registry import adapter_class, webhook_handler
from townsquare.channels.adapters.sms.client import SmsAdapter
from townsquare.channels.adapters.sms.text import sms_length
from townsquare.channels.adapters.sms.webhook import SmsWebhook
from townsquare.channels.adapters.testing import FakeNetwork, FakeRequest, FakeResponse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "f00dfeedSecretAuthToken0123456789"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
OUR_NUMBER = "+14155550100"
CITIZEN = "+14155550199"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))



def make_adapter(fake: FakeNetwork, **config: Any) -> SmsAdapter:
    settings = {
        "api_base_url": fake.url,
        "account_sid": SID,
        "from_number": OUR_NUMBER,
        **config,
    }
    return SmsAdapter(credentials=Credentials(extra={"auth_token": TOKEN}), config=settings)


# --- segments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("Your request TS-2041 is open.", "GSM-7", 29, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters take two septets
        ("Fare: 2€ [peak]", "GSM-7", 18, 1),
        ("Ñoño @ 5£ ¿Qué?", "GSM-7", 15, 1),  # all in the default alphabet
        ("Ñandú", "UCS-2", 5, 1),  # "ú" is not in it
        ("مرحبا، تم استلام طلبك", "UCS-2", 21, 1),
        ("ب" * 70, "UCS-2", 70, 1),
        ("ب" * 71, "UCS-2", 71, 2),
        ("您的申请已收到，谢谢。", "UCS-2", 11, 1),
        ("中" * 134, "UCS-2", 134, 2),
        ("中" * 135, "UCS-2", 135, 3),
        ("Thanks 🙂", "UCS-2", 9, 1),  # one emoji switches all to UCS-2, two units
        ("👩‍👩‍👧‍👦", "UCS-2", 11, 1),  # ZWJ sequence: 4 emoji (2 units) + 3 ZWJ
        ("“quoted”", "UCS-2", 8, 1),  # typographic quotes are not GSM-7
    ],
)
def test_sms_length(text: str, encoding: str, units: int, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_escape_and_surrogate_pairs_are_never_split() -> None:
    # 152 plain septets then a two-septet "€": it cannot straddle segments 1 and 2.
    text = "a" * 152 + "€" + "a" * 10
    length = sms_length(text)
    assert length.units == 164
    assert length.segments == 2
    assert length.remaining == 153 - 12  # "€" moved to segment 2 with the 10 a's
    # 66 units then an emoji (2 units): the pair moves to the next segment.
    emoji = sms_length("中" * 66 + "😀" + "中" * 2)
    assert emoji.units == 70
    assert emoji.segments == 1  # fits in a single message (70)
    emoji = sms_length("中" * 66 + "😀" + "中" * 3)
    assert (emoji.units, emoji.segments, emoji.remaining) == (71, 2, 67 - 5)


def test_capabilities_describe_sms() -> None:
    caps = SmsAdapter.capabilities
    assert caps.private_messages and caps.webhooks
    assert not (caps.edits or caps.deletes or caps.threads or caps.search)
    assert caps.text.counting == "weighted" and caps.text.max_length == 10
    assert caps.media is None


# --- the adapter --------------------------------------------------------------------------


def test_registry_points_at_these_classes() -> None:
    assert adapter_class("sms") is SmsAdapter
    assert isinstance(webhook_handler("sms"), SmsWebhook)


def test_bad_config_is_a_clear_error() -> None:
    creds = Credentials(extra={"auth_token": TOKEN})
    with pytest.raises(ValueError, match="from_number"):
        SmsAdapter(credentials=creds, config={"account_sid": SID, "from_number": "0415"})
    with pytest.raises(ValueError, match="account_sid"):
        SmsAdapter(credentials=creds, config={"account_sid": "x", "from_number": OUR_NUMBER})
    with pytest.raises(ValueError, match="auth token"):
        SmsAdapter(
            credentials=Credentials(), config={"account_sid": SID, "from_number": OUR_NUMBER}
        )


def test_reply_to_a_number_posts_the_form_with_basic_auth(fake: FakeNetwork) -> None:
    fake.route("POST", MESSAGES, FakeResponse(201, fixture("message_created.json")))
    text = "Your request TS-2041 has been received."
    published = make_adapter(fake).reply(CITIZEN, PostRequest(text=text))
    assert published.remote_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert published.published_at == dt.datetime(2023, 8, 24, 5, 1, 45, tzinfo=dt.UTC)
    request = fake.requests[-1]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {"To": [CITIZEN], "From": [OUR_NUMBER], "Body": [text]}
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"


def test_reply_to_a_message_sid_looks_up_the_sender(fake: FakeNetwork) -> None:
    inbound = fixture("message_inbound.json")
    fake.route(
        "GET",
        f"/2010-04-01/Accounts/{SID}/Messages/{inbound['sid']}.json",
        FakeResponse(200, inbound),
    )
    fake.route("POST", MESSAGES, FakeResponse(201, fixture("message_created.json")))
    text = "شكراً لك — 谢谢 👩‍👩‍👧‍👦"
    make_adapter(fake).reply(inbound["sid"], PostRequest(text=text))
    form = fake.requests[-1].form()
    assert form["To"] == [CITIZEN]
    assert form["Body"] == [text]  # UTF-8 kept exactly, ZWJ sequence included


def test_reply_refuses_a_message_that_was_not_sent_to_us(fake: FakeNetwork) -> None:
    outbound = fixture("message_created.json")  # direction outbound-api
    fake.route(
        "GET",
        f"/2010-04-01/Accounts/{SID}/Messages/{outbound['sid']}.json",
        FakeResponse(200, outbound),
    )
    with pytest.raises(RemoteRejected, match="not a message a citizen sent"):
        make_adapter(fake).reply(outbound["sid"], PostRequest(text="hi"))
    with pytest.raises(RemoteRejected):
        make_adapter(fake).reply("not-a-number", PostRequest(text="hi"))


def test_too_many_segments_are_refused_before_sending(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake, max_segments=2)
    with pytest.raises(RemoteRejected, match="3 segments"):
        adapter.reply(CITIZEN, PostRequest(text="中" * 135))
    with pytest.raises(RemoteRejected, match="needs text"):
        adapter.reply(CITIZEN, PostRequest(text="  "))
    assert fake.requests == []


@pytest.mark.parametrize(
    ("status", "name", "error"),
    [
        (400, "error_21211_invalid_to.json", RemoteRejected),
        (400, "error_21610_unsubscribed.json", RemoteRejected),
        (401, "error_20003_authenticate.json", AuthExpired),
        (429, "error_20429_too_many_requests.json", RateLimited),
    ],
)
def test_twilio_errors_are_mapped(
    fake: FakeNetwork, status: int, name: str, error: type[Exception]
) -> None:
    fake.route("POST", MESSAGES, FakeResponse(status, fixture(name)))
    adapter = make_adapter(fake)
    with pytest.raises(error) as caught:
        adapter.reply(CITIZEN, PostRequest(text="hello"))
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    assert TOKEN not in repr(adapter)
    if error is RemoteRejected:
        assert str(fixture(name)["code"]) in str(caught.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), (None, None), ("date", "date")],
)
def test_429_retry_after_forms(fake: FakeNetwork, header: str | None, expected: Any) -> None:
    headers: dict[str, str] = {}
    if header == "date":
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
        headers["Retry-After"] = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    elif header is not None:
        headers["Retry-After"] = header
    fake.route(
        "POST", MESSAGES, FakeResponse(429, fixture("error_20429_too_many_requests.json"), headers)
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).reply(CITIZEN, PostRequest(text="hello"))
    if expected == "date":
        assert caught.value.retry_after is not None and 100 < caught.value.retry_after <= 120
    else:
        assert caught.value.retry_after == expected


def test_5xx_timeout_and_malformed_json(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake, timeout=0.3)
    fake.route("POST", MESSAGES, FakeResponse(503, "Service Unavailable"))
    with pytest.raises(TransientError):
        adapter.reply(CITIZEN, PostRequest(text="hello"))
    fake.route(
        "POST", MESSAGES, FakeResponse(201, b"{not json", {"Content-Type": "application/json"})
    )
    with pytest.raises(MalformedResponse):
        adapter.reply(CITIZEN, PostRequest(text="hello"))

    def slow(request: FakeRequest) -> FakeResponse:
        time.sleep(0.6)
        return FakeResponse(201, fixture("message_created.json"))

    fake.route("POST", MESSAGES, slow)
    with pytest.raises(TransientError, match="in time"):
        adapter.reply(CITIZEN, PostRequest(text="hello"))


def test_no_publishing_no_edits_and_nothing_to_poll(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake)
    with pytest.raises(NotSupported):
        adapter.publish(PostRequest(text="hello"))
    with pytest.raises(NotSupported):
        adapter.publish_thread([PostRequest(text="a"), PostRequest(text="b")])
    with pytest.raises(NotSupported):
        adapter.edit("SM1", "x")
    with pytest.raises(NotSupported):
        adapter.delete("SM1")
    result = adapter.fetch_inbound("whatever")
    assert result.items == [] and result.cursor == "whatever"
    assert fake.requests == []


def test_fetch_profile(fake: FakeNetwork) -> None:
    fake.route(
        "GET", f"/2010-04-01/Accounts/{SID}.json", FakeResponse(200, fixture("account.json"))
    )
    profile = make_adapter(fake).fetch_profile()
    assert (profile.handle, profile.display_name) == (OUR_NUMBER, "Transport Agency SMS")
    assert profile.followers is None


# --- the webhook ----------------------------------------------------------------------------

URL = "https://townsquare.example.gov/webhooks/sms/7"


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    payload = url + "".join(key + params[key] for key in sorted(params))
    return base64.b64encode(
        hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    ).decode()


def deliver(
    params: dict[str, str],
    *,
    url: str = URL,
    signature: str | None = None,
    body: bytes | None = None,
) -> None:
    raw = body if body is not None else urlencode(params).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature if signature is not None else sign(url, params),
        "X-Townsquare-Url": url,
    }
    SmsWebhook().verify(body=raw, headers=headers, query={}, secret=TOKEN, now=NOW)


def test_twilio_documented_signature_example() -> None:
    body = (
        b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234"
        b"&From=%2B12349013030&To=%2B18005551212"
    )
    headers = {
        "X-Twilio-Signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
        "X-Townsquare-Url": "https://mycompany.com/myapp.php?foo=1&bar=2",
    }
    SmsWebhook().verify(body=body, headers=headers, query={}, secret="12345", now=NOW)
    with pytest.raises(InvalidSignature):
        SmsWebhook().verify(body=body + b"0", headers=headers, query={}, secret="12345", now=NOW)


def test_genuine_delivery_verifies_with_or_without_the_default_port() -> None:
    params = fixture("webhook_incoming_sms.json")
    deliver(params)
    # Twilio may sign with ":443" when our view sees none, and the other way round.
    deliver(params, signature=sign(URL.replace(".gov/", ".gov:443/"), params))
    deliver(params, url=URL.replace(".gov/", ".gov:443/"), signature=sign(URL, params))


def test_bad_signatures_are_refused() -> None:
    params = fixture("webhook_incoming_sms.json")
    with pytest.raises(InvalidSignature):
        deliver(params, signature=sign(URL, params, token="another-token"))
    with pytest.raises(InvalidSignature):
        deliver(params, signature=sign(URL + "?x=1", params))  # signed for another URL
    tampered = {**params, "Body": "Send me the admin password"}
    with pytest.raises(InvalidSignature):
        deliver(tampered, signature=sign(URL, params))
    with pytest.raises(InvalidSignature, match="not signed"):
        deliver(params, signature="")
    with pytest.raises(InvalidSignature, match="URL"):
        SmsWebhook().verify(
            body=urlencode(params).encode(),
            headers={"X-Twilio-Signature": sign(URL, params)},
            query={},
            secret=TOKEN,
            now=NOW,
        )
    with pytest.raises(InvalidSignature):
        SmsWebhook().verify(body=b"", headers={}, query={}, secret="", now=NOW)


def test_parse_inbound_sms() -> None:
    params = fixture("webhook_incoming_sms.json")
    [change] = SmsWebhook().parse(urlencode(params).encode())
    assert change.kind == ChangeKind.CREATED
    assert change.remote_id == params["MessageSid"]
    assert change.account_ref == OUR_NUMBER
    item = change.item
    assert item is not None
    assert item.kind == ItemKind.DIRECT_MESSAGE
    assert item.text == "When does route 12 run on Sunday?"
    assert (item.author_id, item.author_handle) == (CITIZEN, CITIZEN)
    assert not item.is_own


def test_parse_mms_media_urls_and_unicode() -> None:
    params = fixture("webhook_incoming_mms.json")
    body = urlencode(params).encode()
    deliver(params)
    [change] = SmsWebhook().parse(body)
    assert change.item is not None
    assert change.item.text == "Pothole here 📷"
    assert change.item.attachment_urls == (params["MediaUrl0"],)


@pytest.mark.parametrize(
    "text",
    ["مرحبا، الحافلة رقم ١٢ متأخرة", "公交车12路晚点了", "👩‍👩‍👧‍👦 family pass?", "x" * 10_000],
)
def test_text_is_kept_exactly_and_verifies(text: str) -> None:
    params = {**fixture("webhook_incoming_sms.json"), "Body": text}
    deliver(params)
    [change] = SmsWebhook().parse(urlencode(params).encode())
    assert change.item is not None and change.item.text == text


def test_invalid_utf8_is_replaced_and_signature_still_checked_on_the_raw_bytes() -> None:
    params = fixture("webhook_incoming_sms.json")
    body = urlencode({**params, "Body": "ok"}).encode().replace(b"Body=ok", b"Body=ok%FF%FE")
    # Sign over the bytes Twilio would have signed: the value decoded with the bad bytes kept.
    signed = {**params, "Body": "ok\udcff\udcfe"}
    payload = URL + "".join(k + signed[k] for k in sorted(signed))
    signature = base64.b64encode(
        hmac.new(TOKEN.encode(), payload.encode("utf-8", "surrogateescape"), hashlib.sha1).digest()
    ).decode()
    deliver(params, body=body, signature=signature)
    [change] = SmsWebhook().parse(body)
    assert change.item is not None and change.item.text == "ok\ufffd\ufffd"


def test_replayed_delivery_parses_to_the_same_change() -> None:
    # Twilio signs no timestamp: a replay verifies, and is dropped by the core's dedupe on
    # the MessageSid, which is the remote id of both copies.
    params = fixture("webhook_incoming_sms.json")
    body = urlencode(params).encode()
    deliver(params)
    deliver(params)
    first, second = SmsWebhook().parse(body), SmsWebhook().parse(body)
    assert first[0].remote_id == second[0].remote_id == params["MessageSid"]
    assert first[0].item is not None and second[0].item is not None
    assert first[0].item.text == second[0].item.text


def test_status_callbacks_and_malformed_bodies() -> None:
    assert SmsWebhook().parse(urlencode(fixture("webhook_status_callback.json")).encode()) == []
    with pytest.raises(MalformedResponse):
        SmsWebhook().parse(b"Body=hello")
    with pytest.raises(MalformedResponse):
        SmsWebhook().parse(b"\xff\xfe not a form")


def test_form_fixture_round_trips() -> None:
    params = fixture("webhook_incoming_sms.json")
    assert {k: v[0] for k, v in parse_qs(urlencode(params)).items()} == params
