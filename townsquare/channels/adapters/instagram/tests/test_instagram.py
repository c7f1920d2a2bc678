"""Instagram adapter, webhook and OAuth against a local fake of the Instagram Graph API."""

from __future__ import annotations

import datetime as dt
import email.utils
from pathlib import Path
from typing import Any

import pytest

from townsquare.channels.adapters.base import (
    Attachment,
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
    StaleEvent,
    TransientError,
)
from townsquare.channels.adapters.instagram.client import InstagramAdapter
from townsquare.channels.adapters.instagram.oauth import InstagramOAuth
from townsquare.channels.adapters.instagram.webhook import InstagramWebhook
from townsquare.channels.adapters.meta.testing import (
    fixture,
    fixture_bytes,
    graph_path,
    signed_headers,
    slow,
)
from townsquare.channels.adapters.registry import adapter_class, oauth_client, webhook_handler
from townsquare.channels.adapters.testing import FakeNetwork, FakeResponse

HERE = Path(__file__).resolve().parent.parent
IG = "17841400000000001"
PAGE = "104578965432101"
TOKEN = "EAAigtoken-SECRET-0123456789"
APP_SECRET = "app-secret-ig-77aa"
MID = (
    "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx"
    "OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTQ5NzU4"
)


def fx(name: str) -> Any:
    return fixture(HERE, name)


def public_url(attachment: Attachment) -> str:
    return f"https://media.townsquare.example/{attachment.filename}.jpg"


def make_adapter(fake: FakeNetwork, **config: Any) -> InstagramAdapter:
    settings: dict[str, Any] = {
        "ig_user_id": IG,
        "page_id": PAGE,
        "graph_base_url": fake.url,
        "public_media_url": public_url,
        "container_poll_seconds": 0,
    }
    settings.update(config)
    return InstagramAdapter(credentials=Credentials(access_token=TOKEN), config=settings)


def no_secret_in(*texts: str) -> bool:
    return all(TOKEN not in text for text in texts)


def test_registry_and_config() -> None:
    assert adapter_class("instagram") is InstagramAdapter
    assert isinstance(webhook_handler("instagram"), InstagramWebhook)
    with pytest.raises(ValueError, match="ig_user_id"):
        InstagramAdapter(credentials=Credentials(access_token=TOKEN), config={"page_id": "1"})


def test_profile(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(IG), FakeResponse(200, fx("user_profile.json")))
    adapter = make_adapter(fake)
    profile = adapter.fetch_profile()
    assert (profile.handle, profile.followers) == ("transportgov", 120530)
    assert profile.url == "https://www.instagram.com/transportgov/"
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert no_secret_in(repr(adapter))


def route_inbound(fake: FakeNetwork, media: Any = None) -> None:
    fake.route("GET", graph_path(IG, "media"), FakeResponse(200, media or fx("user_media.json")))
    fake.route("GET", graph_path(IG, "tags"), FakeResponse(200, fx("user_tags.json")))


def test_fetch_inbound(fake: FakeNetwork) -> None:
    route_inbound(fake)
    result = make_adapter(fake).fetch_inbound(None)
    by_id = {item.remote_id: item for item in result.items}
    comment = by_id["17850000000000011"]
    assert (comment.kind, comment.author_handle, comment.is_own) == (
        ItemKind.COMMENT,
        "layla.h",
        False,
    )
    assert comment.text == "Finally! 🙌🏾 كم تكلفة المشروع؟"
    assert comment.in_reply_to == "17900000000000002"
    own = by_id["17850000000000012"]
    assert (own.kind, own.is_own, own.in_reply_to) == (ItemKind.REPLY, True, "17850000000000011")
    assert by_id["17850000000000013"].text == "谢谢"
    tag = by_id["17900000000000100"]
    assert (tag.kind, tag.author_handle) == (ItemKind.MENTION, "citizen.sam")
    assert result.cursor == str(int(dt.datetime(2024, 5, 20, 11, tzinfo=dt.UTC).timestamp()))
    assert result.gap is False


def test_fetch_inbound_since_cursor_and_gap(fake: FakeNetwork) -> None:
    media = fx("user_media.json")
    media["data"][0]["comments"]["paging"]["next"] = "https://graph.facebook.com/v21.0/x?after=QV"
    media["data"][0]["comments_count"] = 80
    route_inbound(fake, media)
    cursor = str(int(dt.datetime(2024, 5, 20, 10, tzinfo=dt.UTC).timestamp()))
    result = make_adapter(fake).fetch_inbound(cursor)
    ids = {item.remote_id for item in result.items}
    assert ids == {"17850000000000012", "17850000000000013", "17900000000000100"}
    assert result.gap is True


def test_a_10000_character_comment_is_kept(fake: FakeNetwork) -> None:
    text = ("🇸🇦 مرحبا 你好 " * 1000)[:10_000]
    media = fx("user_media.json")
    media["data"][0]["comments"]["data"][0]["text"] = text
    route_inbound(fake, media)
    items = {i.remote_id: i for i in make_adapter(fake).fetch_inbound(None).items}
    assert items["17850000000000011"].text == text


def test_fetch_mention(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(IG), FakeResponse(200, fx("mentioned_comment.json")))
    item = make_adapter(fake).fetch_mention(
        media_id="17895695668004550", comment_id="17873440459141021"
    )
    assert item.kind is ItemKind.MENTION
    assert item.text == "@transportgov the lift at Central is broken again"
    assert "mentioned_comment.comment_id(17873440459141021)" in fake.requests[0].query["fields"][0]


# --- publishing ------------------------------------------------------------------------


def route_publish(fake: FakeNetwork, publish: FakeResponse | None = None) -> None:
    fake.route("POST", graph_path(IG, "media"), FakeResponse(200, fx("container_created.json")))
    fake.route(
        "GET",
        graph_path("17889455560051444"),
        FakeResponse(200, fx("container_status_finished.json")),
    )
    fake.route(
        "POST",
        graph_path(IG, "media_publish"),
        publish or FakeResponse(200, fx("media_published.json")),
    )
    fake.route(
        "GET", graph_path("17920238422030506"), FakeResponse(200, fx("media_permalink.json"))
    )


def test_publish_one_image_in_two_steps(fake: FakeNetwork) -> None:
    route_publish(fake)
    photo = Attachment(content=b"jpeg", mime_type="image/jpeg", alt_text="Cyclists", filename="p1")
    published = make_adapter(fake).publish(
        PostRequest(text="Lanes 🚲 #cycling", attachments=(photo,))
    )
    assert published.remote_id == "17920238422030506"
    assert published.url == "https://www.instagram.com/p/C7NewPost1/"
    container = fake.requests[0].form()
    assert container == {
        "image_url": ["https://media.townsquare.example/p1.jpg"],
        "caption": ["Lanes 🚲 #cycling"],
        "alt_text": ["Cyclists"],
    }
    publish = next(r for r in fake.requests if r.path.endswith("/media_publish"))
    assert publish.form() == {"creation_id": ["17889455560051444"]}


def test_publish_carousel(fake: FakeNetwork) -> None:
    route_publish(fake)
    photos = tuple(
        Attachment(content=b"jpeg", mime_type="image/jpeg", filename=f"p{i}") for i in range(3)
    )
    make_adapter(fake).publish(PostRequest(text="Three", attachments=photos))
    containers = [r.form() for r in fake.requests if r.path.endswith(f"{IG}/media")]
    assert len(containers) == 4
    assert all(c["is_carousel_item"] == ["true"] for c in containers[:3])
    assert containers[3]["media_type"] == ["CAROUSEL"]
    assert containers[3]["children"] == [",".join(["17889455560051444"] * 3)]


def test_401_mid_publish_is_auth_expired(fake: FakeNetwork) -> None:
    route_publish(fake, FakeResponse(401, fx("error_token_expired.json")))
    photo = Attachment(content=b"jpeg", mime_type="image/jpeg")
    with pytest.raises(AuthExpired) as caught:
        make_adapter(fake).publish(PostRequest(text="x", attachments=(photo,)))
    assert no_secret_in(str(caught.value), repr(caught.value))
    assert any(r.path.endswith(f"{IG}/media") for r in fake.requests)  # step one happened


def test_container_error_is_rejected(fake: FakeNetwork) -> None:
    route_publish(fake)
    fake.route(
        "GET", graph_path("17889455560051444"), FakeResponse(200, fx("container_status_error.json"))
    )
    photo = Attachment(content=b"jpeg", mime_type="image/jpeg")
    with pytest.raises(RemoteRejected, match="ERROR"):
        make_adapter(fake).publish(PostRequest(text="x", attachments=(photo,)))
    assert not any(r.path.endswith("/media_publish") for r in fake.requests)


def test_container_still_in_progress_is_transient(fake: FakeNetwork) -> None:
    route_publish(fake)
    fake.route(
        "GET", graph_path("17889455560051444"), FakeResponse(200, {"status_code": "IN_PROGRESS"})
    )
    photo = Attachment(content=b"jpeg", mime_type="image/jpeg")
    with pytest.raises(TransientError):
        make_adapter(fake, container_poll_attempts=2).publish(
            PostRequest(text="x", attachments=(photo,))
        )
    assert sum(1 for r in fake.requests if r.path.endswith("17889455560051444")) == 2


def test_publish_refusals(fake: FakeNetwork) -> None:
    adapter = make_adapter(fake)
    photo = Attachment(content=b"jpeg", mime_type="image/jpeg")
    with pytest.raises(NotSupported, match="image"):
        adapter.publish(PostRequest(text="text only"))
    with pytest.raises(RemoteRejected, match="2200"):
        adapter.publish(PostRequest(text="a" * 2201, attachments=(photo,)))
    tags = " ".join(f"#t{i}" for i in range(31))
    with pytest.raises(RemoteRejected, match="30 hashtags"):
        adapter.publish(PostRequest(text=tags, attachments=(photo,)))
    png = Attachment(content=b"png", mime_type="image/png")
    with pytest.raises(RemoteRejected, match="image/png"):
        adapter.publish(PostRequest(text="x", attachments=(png,)))
    without_host = make_adapter(fake, public_media_url=None)
    with pytest.raises(NotSupported, match="public"):
        without_host.publish(PostRequest(text="x", attachments=(photo,)))
    assert fake.requests == []
    with pytest.raises(NotSupported):
        adapter.edit("17920238422030506", "no edits")


# --- replies, deletes, metrics ---------------------------------------------------------


def test_reply_to_a_comment(fake: FakeNetwork) -> None:
    fake.route(
        "POST",
        graph_path("17850000000000011", "replies"),
        FakeResponse(200, fx("reply_created.json")),
    )
    reply = make_adapter(fake).reply("17850000000000011", PostRequest(text="Thanks! 🙏"))
    assert reply.remote_id == "17870913679156914"
    assert fake.requests[0].form() == {"message": ["Thanks! 🙏"]}


def test_reply_to_a_direct_message(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(MID), FakeResponse(200, fx("message_lookup.json")))
    fake.route("POST", graph_path(PAGE, "messages"), FakeResponse(200, fx("message_sent.json")))
    sent = make_adapter(fake).reply(MID, PostRequest(text="Hello Ana"))
    assert sent.remote_id.startswith("aWdf")
    assert fake.requests[-1].json() == {
        "recipient": {"id": "1234567890123456"},
        "message": {"text": "Hello Ana"},
    }
    with pytest.raises(NotSupported, match="page_id"):
        make_adapter(fake, page_id="").reply(MID, PostRequest(text="x"))


def test_delete_comment_but_not_post(fake: FakeNetwork) -> None:
    comment = "17850000000000012"
    fake.route("GET", graph_path(comment), FakeResponse(400, fx("error_nonexisting_field.json")))
    fake.route("DELETE", graph_path(comment), FakeResponse(200, fx("success.json")))
    fake.route("GET", graph_path("17920238422030506"), FakeResponse(200, fx("media_type.json")))
    adapter = make_adapter(fake)
    adapter.delete(comment)
    assert fake.requests[-1].method == "DELETE"
    with pytest.raises(NotSupported, match="posts"):
        adapter.delete("17920238422030506")
    assert sum(1 for r in fake.requests if r.method == "DELETE") == 1


def test_metrics(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(""), FakeResponse(200, fx("media_metrics.json")))
    [metrics] = make_adapter(fake).fetch_metrics(["17920238422030506"])
    assert (metrics.likes, metrics.replies, metrics.shares) == (321, 14, 0)


# --- failures --------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["seconds", "date", "missing"])
def test_429_with_each_retry_after_form(fake: FakeNetwork, form: str) -> None:
    headers = {
        "seconds": {"Retry-After": "30"},
        "date": {
            "Retry-After": email.utils.format_datetime(
                dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60), usegmt=True
            )
        },
        "missing": {},
    }[form]
    fake.route("GET", graph_path(IG), FakeResponse(429, fx("error_rate_limited.json"), headers))
    with pytest.raises(RateLimited) as caught:
        make_adapter(fake).fetch_profile()
    retry_after = caught.value.retry_after
    if form == "seconds":
        assert retry_after == 30.0
    elif form == "date":
        assert retry_after is not None
        assert 0 < retry_after <= 60
    else:
        assert retry_after is None


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (FakeResponse(502, b"Bad Gateway"), TransientError),
        (FakeResponse(200, b"<html>"), MalformedResponse),
        (FakeResponse(200, b'{"id": "\xc3\x28"}'), MalformedResponse),
        (FakeResponse(400, {"error": {"code": 190, "message": "expired"}}), AuthExpired),
    ],
)
def test_failures(fake: FakeNetwork, response: FakeResponse, error: type[Exception]) -> None:
    fake.route("GET", graph_path(IG), response)
    with pytest.raises(error):
        make_adapter(fake).fetch_profile()


def test_timeout(fake: FakeNetwork) -> None:
    fake.route("GET", graph_path(IG), slow(FakeResponse(200, fx("user_profile.json")), 0.6))
    with pytest.raises(TransientError):
        make_adapter(fake, timeout_seconds=0.2).fetch_profile()


# --- webhooks --------------------------------------------------------------------------


def at(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def test_webhook_verify() -> None:
    body = fixture_bytes(HERE, "webhook_comments.json")
    handler = InstagramWebhook()
    kwargs: dict[str, Any] = {"query": {}, "secret": APP_SECRET}
    handler.verify(
        body=body, headers=signed_headers(body, APP_SECRET), now=at(1716200060), **kwargs
    )
    with pytest.raises(InvalidSignature):
        handler.verify(
            body=body, headers=signed_headers(body, "nope"), now=at(1716200060), **kwargs
        )
    with pytest.raises(StaleEvent):
        handler.verify(
            body=body, headers=signed_headers(body, APP_SECRET), now=at(1716200000 + 7200), **kwargs
        )
    assert (
        handler.handshake(
            {"hub.mode": "subscribe", "hub.verify_token": "v", "hub.challenge": "42"}, "v"
        )
        == "42"
    )


def test_webhook_comments() -> None:
    changes = InstagramWebhook().parse(fixture_bytes(HERE, "webhook_comments.json"))
    assert [c.kind for c in changes] == [ChangeKind.CREATED, ChangeKind.CREATED]
    citizen, own = (c.item for c in changes)
    assert citizen is not None and own is not None
    assert citizen.text == "When does it open? 🚲👩🏽‍🦽"
    assert (citizen.kind, citizen.is_own, citizen.author_handle) == (
        ItemKind.COMMENT,
        False,
        "layla.h",
    )
    assert (own.kind, own.is_own, own.in_reply_to) == (ItemKind.REPLY, True, "17865799348089039")
    assert changes[0].account_ref == IG
    body = fixture_bytes(HERE, "webhook_comments.json")
    assert InstagramWebhook().parse(body) == InstagramWebhook().parse(body)


def test_webhook_mentions_and_messages() -> None:
    [mention] = InstagramWebhook().parse(fixture_bytes(HERE, "webhook_mentions.json"))
    assert mention.remote_id == "17873440459141021"
    assert mention.item is not None
    assert mention.item.raw == {"media_id": "17895695668004550", "comment_id": "17873440459141021"}
    created, deleted = InstagramWebhook().parse(fixture_bytes(HERE, "webhook_messages.json"))
    assert (created.kind, deleted.kind) == (ChangeKind.CREATED, ChangeKind.DELETED)
    assert created.item is not None
    assert (created.item.text, created.item.conversation_id) == ("Hello 👋", "1234567890123456")
    with pytest.raises(MalformedResponse):
        InstagramWebhook().parse(
            fixture_bytes(HERE, "webhook_comments.json").replace(b"instagram", b"page", 1)
        )


def test_oauth_uses_instagram_scopes_and_finds_the_linked_page(fake: FakeNetwork) -> None:
    folder = HERE.parent / "facebook"
    fake.route(
        "POST",
        graph_path("oauth", "access_token"),
        FakeResponse(200, fixture(folder, "oauth_access_token_long.json")),
    )
    fake.route(
        "GET", graph_path("me", "accounts"), FakeResponse(200, fixture(folder, "me_accounts.json"))
    )
    client = oauth_client(
        "instagram",
        {"app_id": "1", "app_secret": APP_SECRET, "graph_base_url": fake.url, "ig_user_id": IG},
    )
    assert isinstance(client, InstagramOAuth)
    url = client.authorization_url(
        state="s", code_challenge="", redirect_uri="https://t.example/cb"
    )
    assert "instagram_content_publish" in url
    credentials = client.exchange_code(
        code="c", code_verifier="", redirect_uri="https://t.example/cb"
    )
    assert credentials.extra["ig_user_id"] == IG
    assert credentials.extra["page_id"] == PAGE
