"""The real MastodonAdapter (Mastodon.py over HTTP) against the sandbox's live endpoints."""

from __future__ import annotations

import random
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from townsquare.channels.adapters.base import (
    Attachment,
    AuthExpired,
    Credentials,
    ItemKind,
    PostRequest,
    RemoteRejected,
)
from townsquare.channels.adapters.mastodon.client import MastodonAdapter
from townsquare.channels.adapters.mastodon.oauth import MastodonOAuth
from townsquare.sandbox import services, simulator
from townsquare.sandbox.models import SandboxAccount, SandboxMedia, SandboxStatus

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def sandbox(live_server):
    tokens = services.sandbox_agency_tokens()
    base = f"{live_server.url}/sandbox"

    def adapter(slug: str = "transport", token: str | None = None, **config) -> MastodonAdapter:
        return MastodonAdapter(
            credentials=Credentials(access_token=token or tokens[slug].access_token),
            config={"api_base_url": base, **config},
        )

    return {"tokens": tokens, "base": base, "adapter": adapter}


def citizen_says(text: str, *, visibility: str = "public", reply_to=None) -> SandboxStatus:
    layla = SandboxAccount.objects.get(username="fatima_z")
    status, _ = services.status_create(
        account=layla, text=text, visibility=visibility, in_reply_to=reply_to, language="ar"
    )
    return status


def test_setup_gives_every_demo_agency_a_working_token(sandbox):
    tokens = sandbox["tokens"]
    assert {
        "transport",
        "health",
        "water-and-electricity",
        "police",
        "social-services",
        "communications-office",
    } <= set(tokens)
    assert services.sandbox_agency_tokens() == tokens  # stable: same tokens again
    profile = sandbox["adapter"]("health").fetch_profile()
    assert profile.handle.startswith("@health@")
    assert profile.display_name == "Health Agency"
    assert profile.followers and profile.followers >= 1000
    assert sandbox["adapter"]().max_characters() == 500


def test_publish_with_media_and_alt_text_then_edit_metrics_and_delete(sandbox):
    adapter = sandbox["adapter"]()
    post = adapter.publish(
        PostRequest(
            text="Route 12 now every 10 minutes 🚌 https://harbour.example/route-12",
            attachments=(Attachment(PNG, "image/png", alt_text="خريطة الخط 12", filename="map"),),
            language="en",
        )
    )
    status = SandboxStatus.objects.get(pk=post.remote_id)
    media = SandboxMedia.objects.get(status=status)
    assert media.description == "خريطة الخط 12"
    assert media.file.read() == PNG
    assert post.url.endswith(f"/sandbox/@transport/{post.remote_id}")
    timeline = Client().get("/sandbox/").content.decode()
    assert "Route 12 now every 10 minutes" in timeline and "خريطة الخط 12" in timeline

    edited = adapter.edit(post.remote_id, "Route 12 now every 12 minutes")
    assert edited.remote_id == post.remote_id
    status.refresh_from_db()
    assert status.text == "Route 12 now every 12 minutes" and status.edited_at

    citizen_says("@transport شكرا", reply_to=status)
    services.status_favourite_add(status=status, count=4)
    (metrics,) = adapter.fetch_metrics([post.remote_id, "999999"])
    assert (metrics.likes, metrics.replies, metrics.shares) == (4, 1, 0)

    adapter.delete(post.remote_id)
    adapter.delete(post.remote_id)  # gone already: still fine
    status.refresh_from_db()
    assert status.deleted_at is not None
    assert adapter.fetch_metrics([post.remote_id]) == []


def test_thread_and_idempotent_publish(sandbox):
    adapter = sandbox["adapter"]()
    thread = adapter.publish_thread(
        [PostRequest(text=f"Part {n}/3", idempotency_key=f"thread-{n}") for n in (1, 2, 3)]
    )
    statuses = [SandboxStatus.objects.get(pk=p.remote_id) for p in thread]
    assert statuses[0].in_reply_to is None
    assert statuses[1].in_reply_to == statuses[0]
    assert statuses[2].in_reply_to == statuses[1]
    once = adapter.publish(PostRequest(text="Only once", idempotency_key="draft-7"))
    twice = adapter.publish(PostRequest(text="Only once", idempotency_key="draft-7"))
    assert once.remote_id == twice.remote_id
    assert SandboxStatus.objects.filter(text="Only once").count() == 1


def test_fetch_mentions_replies_and_direct_messages_since_a_cursor(sandbox):
    adapter = sandbox["adapter"]()
    welcome = SandboxStatus.objects.filter(account__username="transport").first()
    citizen_says("@transport الحافلة متأخرة 😡")
    first = adapter.fetch_inbound(None)
    assert [item.kind for item in first.items] == [ItemKind.MENTION]
    assert first.items[0].text == "@transport الحافلة متأخرة 😡"
    assert first.items[0].author_handle.startswith("@fatima_z@")
    assert first.items[0].language == "ar"

    citizen_says("@transport 谢谢 👨\u200d👩\u200d👧", reply_to=welcome)
    citizen_says("@transport my card was charged twice", visibility="direct")
    citizen_says("@health not for transport")
    second = adapter.fetch_inbound(first.cursor)
    assert [item.kind for item in second.items] == [ItemKind.REPLY, ItemKind.DIRECT_MESSAGE]
    assert second.items[0].in_reply_to == str(welcome.pk)
    assert second.items[0].text.endswith("👨\u200d👩\u200d👧")
    assert second.gap is False
    assert adapter.fetch_inbound(second.cursor).items == []

    # Answering the direct message stays private and mentions the resident.
    reply = adapter.reply(second.items[1].remote_id, PostRequest(text="We will refund you."))
    answer = SandboxStatus.objects.get(pk=reply.remote_id)
    assert answer.visibility == "direct"
    assert answer.text == "@fatima_z We will refund you."
    assert answer.in_reply_to_id == int(second.items[1].remote_id)


def test_a_backlog_larger_than_the_page_bound_is_a_gap(sandbox):
    adapter = sandbox["adapter"](page_size=5, max_pages=2)
    citizen_says("@transport first")
    cursor = adapter.fetch_inbound(None).cursor
    assert cursor is not None
    for number in range(14):
        citizen_says(f"@transport message {number}")
    result = adapter.fetch_inbound(cursor)
    assert result.gap is True
    assert [item.text for item in result.items][-1] == "@transport message 13"
    assert len(result.items) == 10
    small = sandbox["adapter"](page_size=5, max_pages=5).fetch_inbound(cursor)
    assert small.gap is False and len(small.items) == 14


def test_search_and_own_posts_are_marked(sandbox):
    adapter = sandbox["adapter"]()
    adapter.publish(PostRequest(text="Ferry timetable for the summer"))
    citizen_says("Is the ferry timetable out yet? @transport")
    result = adapter.search("ferry timetable")
    by_own = {item.is_own: item for item in result.items}
    assert set(by_own) == {True, False}
    assert all(item.kind == ItemKind.POST for item in result.items)


def test_too_long_text_and_a_bad_token(sandbox):
    adapter = sandbox["adapter"]()
    with pytest.raises(RemoteRejected):
        adapter.publish(PostRequest(text="x" * 501))
    bad = sandbox["adapter"](token="not-a-token")
    with pytest.raises(AuthExpired) as caught:
        bad.fetch_inbound(None)
    assert "not-a-token" not in str(caught.value)


def test_oauth_flow_with_pkce_against_the_sandbox(sandbox, live_server):
    import base64
    import hashlib

    registered = services.oauth_app_register(
        name="Townsquare", redirect_uris="https://ts.example/cb"
    )
    oauth = MastodonOAuth(
        {
            "api_base_url": sandbox["base"],
            "client_id": registered.app.client_id,
            "client_secret": registered.client_secret,
        }
    )
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    url = oauth.authorization_url(
        state="s1", code_challenge=challenge.decode(), redirect_uri="https://ts.example/cb"
    )
    parts = urlsplit(url)
    consent_page = Client().get(f"{parts.path}?{parts.query}")
    assert consent_page.status_code == 200
    assert "Transport Agency" in consent_page.content.decode()
    fields = {k: v[0] for k, v in parse_qs(parts.query).items()}
    transport = SandboxAccount.objects.get(username="transport")
    granted = Client().post(parts.path, {**fields, "account": transport.pk})
    assert granted.status_code == 302
    back = parse_qs(urlsplit(granted["Location"]).query)
    assert back["state"] == ["s1"]
    with pytest.raises(RemoteRejected):
        oauth.exchange_code(
            code=back["code"][0], code_verifier="w" * 50, redirect_uri="https://ts.example/cb"
        )
    # The wrong verifier does not burn the code: the right one still works once.
    credentials = oauth.exchange_code(
        code=back["code"][0], code_verifier=verifier, redirect_uri="https://ts.example/cb"
    )
    profile = sandbox["adapter"](token=credentials.access_token).fetch_profile()
    assert profile.display_name == "Transport Agency"
    with pytest.raises(RemoteRejected):
        oauth.exchange_code(
            code=back["code"][0], code_verifier=verifier, redirect_uri="https://ts.example/cb"
        )


def test_simulated_residents_reach_the_adapter(sandbox):
    messages = simulator.simulate(count=40, rng=random.Random(11))
    to_transport = [m for m in messages if m.agency == "transport"]
    result = sandbox["adapter"]().fetch_inbound(None)
    assert {int(item.remote_id) for item in result.items} == {m.status_id for m in to_transport}
