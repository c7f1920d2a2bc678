"""Compose → approve → schedule → publish → correct → withdraw on the sandbox network,
through the real Mastodon adapter (Mastodon.py over HTTP to the test server)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from townsquare.archive.models import EventKind, Record, RecordEvent, RecordVersion
from townsquare.archive.services.verify import archive_verify
from townsquare.channels.adapters.base import Credentials
from townsquare.channels.services.accounts import account_create
from townsquare.channels.services.credentials import credentials_store
from townsquare.media.services import media_upload
from townsquare.publishing.models import PostState, RemoteChange, Variant, VariantState
from townsquare.publishing.services.compose import VersionInput, post_create
from townsquare.publishing.services.engine import posts_dispatch_due
from townsquare.publishing.services.remote import post_correct, post_withdraw
from townsquare.publishing.services.workflow import post_approve, post_schedule, post_submit
from townsquare.sandbox import services as sandbox
from townsquare.sandbox.models import SandboxMedia, SandboxStatus

pytestmark = pytest.mark.django_db(transaction=True)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_three_languages_published_to_the_sandbox_then_corrected_and_withdrawn(
    live_server, government, alice, erin, ahmed
):
    tokens = sandbox.sandbox_agency_tokens()
    account = account_create(
        actor=alice,
        organisation=government["transport"],
        network="mastodon",
        handle="@transport@sandbox.test",
        display_name="Transport Agency",
        languages=["en", "ar", "zh-hans"],
        config={"api_base_url": f"{live_server.url}/sandbox"},
    )
    credentials_store(
        actor=alice,
        account=account,
        credentials=Credentials(access_token=tokens["transport"].access_token),
    )
    image = media_upload(
        user=alice,
        organisation=government["transport"],
        filename="map.png",
        content=png(),
        alt_text={"en": "Map of route 12", "ar": "خريطة الخط 12", "zh-hans": "12路线路图"},
    )
    post = post_create(
        actor=erin,
        organisation=government["transport"],
        title="Route 12",
        versions={
            "en": VersionInput(
                "Route 12 runs every 10 minutes from Monday. <b>Thanks</b>",
                [account],
                media=[image],
            ),
            "ar": VersionInput("الخط 12 كل 10 دقائق من يوم الاثنين (Route 12).", [account]),
            "zh-hans": VersionInput("12路从周一起每10分钟一班。", [account]),
        },
    )
    post_submit(actor=erin, post=post)
    post_approve(actor=ahmed, post=post, seen_version=post.content_version)
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)).astimezone(
        dt.timezone(dt.timedelta(hours=4))  # Asia/Dubai, the organisation's zone
    )
    post_schedule(actor=erin, post=post, date=soon.date(), time=soon.time(), fold=0)
    # The minute task: due posts start and their variant jobs run (Huey runs in line).
    posts_dispatch_due(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=3))
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED, list(Variant.objects.values("state", "last_error"))
    english = Variant.objects.get(version__post=post, version__language="en")
    status = SandboxStatus.objects.get(pk=english.remote_ids[0])
    assert status.text == "Route 12 runs every 10 minutes from Monday. <b>Thanks</b>"
    assert SandboxMedia.objects.get(status=status).description == "Map of route 12"
    assert english.remote_url.endswith(f"/sandbox/@transport/{status.pk}")
    arabic = Variant.objects.get(version__post=post, version__language="ar")
    assert SandboxStatus.objects.get(pk=arabic.remote_ids[0]).text.startswith("الخط 12")
    assert (
        SandboxStatus.objects.filter(account__username="transport", text__contains="12路").count()
        == 1
    )

    # Every published variant is handed to the records archive, media included.
    record = Record.objects.get(source="publishing.variant", source_id=str(english.pk))
    assert record.record_type == "published_post" and record.remote_id == english.remote_ids[0]
    first = RecordVersion.objects.get(record=record)
    assert first.content == "Route 12 runs every 10 minutes from Monday. <b>Thanks</b>"
    assert Record.objects.filter(source="publishing.variant").count() == 3

    post_correct(actor=ahmed, post=post, language="en", text="Route 12 runs every 8 minutes.")
    english.refresh_from_db()
    assert english.remote_change == RemoteChange.DONE
    status.refresh_from_db()
    assert status.text == "Route 12 runs every 8 minutes." and status.edited_at

    post_withdraw(actor=erin, post=post)
    assert set(Variant.objects.filter(version__post=post).values_list("state", flat=True)) == {
        VariantState.DELETED
    }
    status.refresh_from_db()
    assert status.deleted_at is not None
    # The archive keeps both versions and the withdrawal; nothing was overwritten.
    assert list(
        RecordVersion.objects.filter(record=record).order_by("pk").values_list("content", flat=True)
    ) == [first.content, "Route 12 runs every 8 minutes."]
    assert RecordEvent.objects.filter(record=record, kind=EventKind.DELETED_ON_NETWORK).exists()
    assert archive_verify().ok
