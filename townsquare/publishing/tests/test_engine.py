"""The publishing engine against a local fake network: exactly once, retries, failures."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from townsquare.channels.adapters.base import (
    AuthExpired,
    Credentials,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.models import AccountStatus, ConnectionState
from townsquare.core.models import AuditEvent
from townsquare.publishing.models import Post, PostState, Variant, VariantState
from townsquare.publishing.services import engine
from townsquare.publishing.services.compose import VersionInput, post_update
from townsquare.publishing.services.engine import (
    post_retry_failed,
    posts_dispatch_due,
    variant_publish,
    variants_due,
)
from townsquare.publishing.services.workflow import post_schedule

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 5, 4, 6, 0, tzinfo=dt.UTC)  # 10:00 in Dubai


@pytest.fixture
def scheduled(approved_post, erin):
    def make(*args, **kwargs):
        post = approved_post(*args, **kwargs)
        with time_machine.travel(T0, tick=False):
            post_schedule(actor=erin, post=post, date=dt.date(2026, 5, 4), time=dt.time(10, 5))
        post.refresh_from_db()
        return post

    return make


def run_due(now):
    """What the minute task does, with the variant jobs run in line."""
    with time_machine.travel(now, tick=False):
        for post_id in posts_dispatch_due(now=now):
            for variant in Variant.objects.filter(
                version__post_id=post_id, state=VariantState.PENDING
            ):
                variant_publish(variant_id=variant.pk, now=now)
        for variant_id in variants_due(now=now):
            variant_publish(variant_id=variant_id, now=now)


def test_nothing_goes_out_before_its_time_then_everything_once(scheduled, fake_network, accounts):
    post = scheduled(account_list=[accounts["mastodon"], accounts["bluesky"]])
    run_due(T0 + dt.timedelta(minutes=4))
    assert fake_network.sent == []
    run_due(T0 + dt.timedelta(minutes=5))
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED and post.published_at is not None
    assert len(fake_network.sent) == 2
    for variant in Variant.objects.filter(version__post=post):
        assert variant.state == VariantState.PUBLISHED
        assert variant.remote_ids and variant.remote_url.startswith("https://fake.example/")
        assert variant.idempotency_key == f"townsquare-{variant.pk}-v{post.content_version}"
    run_due(T0 + dt.timedelta(minutes=6))  # the next minute changes nothing
    assert len(fake_network.sent) == 2
    assert AuditEvent.objects.filter(action="post.published", target_id=str(post.pk)).exists()


def test_dispatching_twice_starts_a_post_once(scheduled, fake_network):
    post = scheduled()
    now = T0 + dt.timedelta(minutes=5)
    assert posts_dispatch_due(now=now) == [post.pk]
    assert posts_dispatch_due(now=now) == []


def test_crash_after_the_network_accepted_never_posts_twice(scheduled, fake_network, monkeypatch):
    post = scheduled()
    now = T0 + dt.timedelta(minutes=5)

    def crash(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(engine, "variant_record_published", crash)
    with pytest.raises(SystemExit):
        run_due(now)
    variant = Variant.objects.get(version__post=post)
    assert variant.state == VariantState.SENDING and len(fake_network.sent) == 1
    monkeypatch.undo()
    from townsquare.publishing.services import engine as engine_again

    monkeypatch.setattr(engine_again, "adapter_for", fake_network.adapter_for)
    run_due(now + dt.timedelta(minutes=1))  # too early: the sender may still be alive
    assert Variant.objects.get(pk=variant.pk).state == VariantState.SENDING
    run_due(now + engine.STALE_SENDING + dt.timedelta(minutes=1))
    variant.refresh_from_db()
    assert variant.state == VariantState.PUBLISHED and variant.remote_ids == ["1"]
    assert len(fake_network.sent) == 1  # reconciled through find_published, not re-sent
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED


def test_rate_limited_burst_backs_off_honouring_retry_after(scheduled, fake_network):
    posts = [scheduled(f"Notice number {n}") for n in range(3)]
    fake_network.publish_faults = [
        None,
        RateLimited("429", retry_after=120),
        RateLimited("429", retry_after=120),
    ]
    now = T0 + dt.timedelta(minutes=5)
    run_due(now)
    states = sorted(Variant.objects.filter(version__post__in=posts).values_list("state", flat=True))
    assert states == ["published", "retrying", "retrying"]
    waiting = Variant.objects.filter(state=VariantState.RETRYING)
    for variant in waiting:
        assert variant.next_attempt_at >= now + dt.timedelta(seconds=120)
        assert "429" in variant.last_error
    run_due(now + dt.timedelta(seconds=60))
    assert Variant.objects.filter(state=VariantState.RETRYING).count() == 2
    run_due(now + dt.timedelta(seconds=240))
    assert Variant.objects.filter(state=VariantState.PUBLISHED).count() == 3
    assert {p.state for p in Post.objects.all()} == {PostState.PUBLISHED}
    assert len(fake_network.sent) == 3


def test_transient_errors_give_up_after_the_attempt_limit(scheduled, fake_network, settings):
    settings.PUBLISHING_MAX_ATTEMPTS = 2
    post = scheduled()
    fake_network.publish_faults = [TransientError("timeout"), TransientError("timeout")]
    now = T0 + dt.timedelta(minutes=5)
    run_due(now)
    run_due(now + dt.timedelta(hours=1))
    variant = Variant.objects.get(version__post=post)
    assert variant.state == VariantState.FAILED and "2 attempts" in variant.last_error
    post.refresh_from_db()
    assert post.state == PostState.FAILED


def test_token_expiring_mid_publish_is_refreshed_once(
    scheduled, fake_network, accounts, monkeypatch
):
    from townsquare.channels.services.credentials import credentials_load, credentials_store

    account = accounts["mastodon"]
    credentials_store(
        actor=None, account=account, credentials=Credentials(access_token="old", refresh_token="r1")
    )

    class OAuth:
        def refresh(self, credentials):
            return Credentials(access_token="new", refresh_token="r2")

    monkeypatch.setattr(engine, "oauth_for", lambda account: OAuth())
    post = scheduled()
    # Uploaded the media, then the status creation got 401.
    fake_network.publish_faults = [AuthExpired("401 after media upload")]
    run_due(T0 + dt.timedelta(minutes=5))
    variant = Variant.objects.get(version__post=post)
    assert variant.state == VariantState.PUBLISHED
    assert fake_network.tokens_seen == ["old", "new"]
    assert credentials_load(account).refresh_token == "r2"


def test_token_refused_twice_fails_the_variant_and_flags_the_account(
    scheduled, fake_network, accounts, monkeypatch
):
    from townsquare.channels.services.credentials import credentials_store

    account = accounts["mastodon"]
    credentials_store(
        actor=None, account=account, credentials=Credentials(access_token="old", refresh_token="r1")
    )

    class OAuth:
        def refresh(self, credentials):
            return Credentials(access_token="new", refresh_token="r2")

    monkeypatch.setattr(engine, "oauth_for", lambda account: OAuth())
    post = scheduled()
    fake_network.publish_faults = [AuthExpired("401"), AuthExpired("401 again")]
    run_due(T0 + dt.timedelta(minutes=5))
    variant = Variant.objects.get(version__post=post)
    assert variant.state == VariantState.FAILED and "Reconnect" in variant.last_error
    account.refresh_from_db()
    assert account.connection_state == ConnectionState.EXPIRED


def test_retired_account_between_scheduling_and_publishing(scheduled, fake_network, accounts):
    post = scheduled(account_list=[accounts["mastodon"], accounts["bluesky"]])
    accounts["bluesky"].status = AccountStatus.RETIRED
    accounts["bluesky"].save()
    run_due(T0 + dt.timedelta(minutes=5))
    post.refresh_from_db()
    assert post.state == PostState.PARTLY_FAILED
    failed = Variant.objects.get(version__post=post, state=VariantState.FAILED)
    assert failed.account == accounts["bluesky"] and "retired" in failed.last_error
    assert len(fake_network.sent) == 1


def test_partly_failed_then_retry_only_the_failed_variant(
    scheduled, fake_network, accounts, erin, django_capture_on_commit_callbacks
):
    post = scheduled(account_list=[accounts["mastodon"], accounts["bluesky"]])
    fake_network.publish_faults = [None, RemoteRejected("text refused")]
    run_due(T0 + dt.timedelta(minutes=5))
    post.refresh_from_db()
    assert post.state == PostState.PARTLY_FAILED
    failed = Variant.objects.get(version__post=post, state=VariantState.FAILED)
    assert failed.last_error == "text refused"
    with (
        time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert post_retry_failed(actor=erin, post=post) == [failed.pk]
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert len(fake_network.sent) == 2


def test_the_approved_version_is_what_gets_published(scheduled, fake_network, erin, accounts):
    post = scheduled("Approved words")
    post_update(
        actor=erin,
        post=post,
        title="",
        versions={"en": VersionInput("Unapproved words", [accounts["mastodon"]])},
    )
    run_due(T0 + dt.timedelta(minutes=5))
    assert fake_network.sent == []
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW


def test_publishing_refuses_a_version_mismatch(scheduled, fake_network):
    post = scheduled()
    Post.objects.filter(pk=post.pk).update(content_version=post.content_version + 1)
    run_due(T0 + dt.timedelta(minutes=5))
    assert fake_network.sent == []
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW
    assert AuditEvent.objects.filter(action="post.publish_refused").exists()


def test_long_post_is_published_as_a_thread(scheduled, fake_network):
    post = scheduled("Roadworks on the harbour bridge. " * 60)
    run_due(T0 + dt.timedelta(minutes=5))
    variant = Variant.objects.get(version__post=post)
    assert variant.state == VariantState.PUBLISHED and len(variant.remote_ids) > 1
    sent = fake_network.sent
    assert sent[0].in_reply_to == ""
    assert all(later.in_reply_to == str(n) for n, later in enumerate(sent[1:], 1))
    assert [p.idempotency_key for p in sent][:2] == [
        f"{variant.idempotency_key}-1",
        f"{variant.idempotency_key}-2",
    ]


def test_thread_interrupted_midway_resumes_without_duplicates(scheduled, fake_network):
    post = scheduled("Roadworks on the harbour bridge. " * 60)
    parts = len(Variant.objects.get(version__post=post).parts)
    fake_network.publish_faults = [None, TransientError("timeout")]
    now = T0 + dt.timedelta(minutes=5)
    run_due(now)
    assert Variant.objects.get(version__post=post).state == VariantState.RETRYING
    run_due(now + dt.timedelta(minutes=30))
    variant = Variant.objects.get(version__post=post)
    assert variant.state == VariantState.PUBLISHED
    assert len(fake_network.sent) == parts and len(variant.remote_ids) == parts


def test_only_variant_on_a_retired_account_fails_the_post(scheduled, fake_network, accounts):
    post = scheduled(account_list=[accounts["bluesky"]])
    accounts["bluesky"].status = AccountStatus.RETIRED
    accounts["bluesky"].save()
    run_due(T0 + dt.timedelta(minutes=5))
    post.refresh_from_db()
    assert post.state == PostState.FAILED
    assert "retired" in Variant.objects.get(version__post=post).last_error


def test_a_partly_failed_post_tells_its_author(
    scheduled, fake_network, accounts, django_capture_on_commit_callbacks
):
    from townsquare.core.models import Notification
    from townsquare.core.notifications import render_notification

    post = scheduled(account_list=[accounts["mastodon"], accounts["bluesky"]])
    fake_network.publish_faults = [None, RemoteRejected("text refused")]
    with django_capture_on_commit_callbacks(execute=True):
        run_due(T0 + dt.timedelta(minutes=5))
    note = Notification.objects.get(message_key="publishing.partly_failed")
    assert note.recipient == post.author
    assert note.url.endswith(f"/publishing/{post.pk}/")
    assert render_notification(note) == (
        f"“{post.title}” was published, but 1 account failed. Retry it from the post."
    )


def test_a_post_that_publishes_everywhere_notifies_nobody(
    scheduled, fake_network, accounts, django_capture_on_commit_callbacks
):
    from townsquare.core.models import Notification

    scheduled(account_list=[accounts["mastodon"]])
    with django_capture_on_commit_callbacks(execute=True):
        run_due(T0 + dt.timedelta(minutes=5))
    assert not Notification.objects.filter(message_key__startswith="publishing.").exists()
