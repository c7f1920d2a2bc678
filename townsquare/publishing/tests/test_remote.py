"""Corrections and withdrawals propagate where the network allows, and say where not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from townsquare.channels.adapters.base import RateLimited
from townsquare.publishing.models import PostState, RemoteChange, Variant, VariantState
from townsquare.publishing.services.engine import posts_dispatch_due, variant_publish
from townsquare.publishing.services.remote import (
    post_correct,
    post_withdraw,
    remote_changes_due,
    variant_apply_remote_change,
)
from townsquare.publishing.services.workflow import post_publish_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(approved_post, erin, fake_network, accounts):
    def make(text="Route 12 runs every 10 minutes.", account_list=None):
        post = approved_post(
            text, account_list=account_list or [accounts["mastodon"], accounts["bluesky"]]
        )
        post_publish_now(actor=erin, post=post)
        posts_dispatch_due()
        for variant in Variant.objects.filter(version__post=post):
            variant_publish(variant_id=variant.pk)
        post.refresh_from_db()
        assert post.state == PostState.PUBLISHED
        return post

    return make


def test_correction_edits_where_possible_and_reports_the_rest(
    published, ahmed, fake_network, accounts, django_capture_on_commit_callbacks
):
    post = published()
    with django_capture_on_commit_callbacks(execute=True):
        post_correct(actor=ahmed, post=post, language="en", text="Route 12 runs every 8 minutes.")
    mastodon = Variant.objects.get(version__post=post, account=accounts["mastodon"])
    bluesky = Variant.objects.get(version__post=post, account=accounts["bluesky"])
    assert mastodon.remote_change == RemoteChange.DONE
    assert fake_network.edits == [(mastodon.remote_ids[0], "Route 12 runs every 8 minutes.")]
    assert bluesky.remote_change == RemoteChange.NOT_SUPPORTED
    assert "cannot be edited" in bluesky.remote_change_note
    post.refresh_from_db()
    assert post.approved_version == post.content_version == 2


def test_correcting_needs_an_approver_and_a_valid_language_and_text(published, erin, ahmed):
    post = published()
    with pytest.raises(PermissionDenied):
        post_correct(actor=erin, post=post, language="en", text="Sneaky change")
    with pytest.raises(ValidationError, match="no version in that language"):
        post_correct(actor=ahmed, post=post, language="ar", text="x")
    with pytest.raises(ValidationError, match="cannot be empty"):
        post_correct(actor=ahmed, post=post, language="en", text="  ")


def test_rate_limited_edit_waits_and_is_retried(published, ahmed, fake_network, accounts):
    post = published(account_list=[accounts["mastodon"]])
    fake_network.edit_faults = [RateLimited("429", retry_after=90)]
    post_correct(actor=ahmed, post=post, language="en", text="Corrected")
    variant = Variant.objects.get(version__post=post)
    now = dt.datetime.now(dt.UTC)
    assert variant_apply_remote_change(variant_id=variant.pk, now=now) == RemoteChange.PENDING
    assert remote_changes_due(now=now) == []
    later = now + dt.timedelta(minutes=3)
    assert remote_changes_due(now=later) == [variant.pk]
    assert variant_apply_remote_change(variant_id=variant.pk, now=later) == RemoteChange.DONE


def test_withdraw_deletes_everywhere_it_can(
    published, erin, fake_network, accounts, django_capture_on_commit_callbacks
):
    from townsquare.channels.adapters.base import Credentials
    from townsquare.channels.services.accounts import account_create
    from townsquare.channels.services.credentials import credentials_store

    whatsapp = account_create(
        actor=erin,
        organisation=accounts["mastodon"].organisation,
        network="whatsapp",
        handle="+15550100",
        display_name="Transport",
    )
    credentials_store(actor=None, account=whatsapp, credentials=Credentials(access_token="t"))
    post = published(account_list=[accounts["mastodon"], whatsapp])
    with django_capture_on_commit_callbacks(execute=True):
        post_withdraw(actor=erin, post=post)
    post.refresh_from_db()
    assert post.state == PostState.WITHDRAWN
    mastodon = Variant.objects.get(version__post=post, account=accounts["mastodon"])
    assert mastodon.state == VariantState.DELETED and mastodon.remote_change == RemoteChange.DONE
    assert fake_network.deleted == mastodon.remote_ids
    other = Variant.objects.get(version__post=post, account=whatsapp)
    assert other.remote_change == RemoteChange.NOT_SUPPORTED
    assert other.state == VariantState.PUBLISHED


def test_carol_cannot_withdraw_transport_posts(published, carol):
    post = published()
    with pytest.raises(PermissionDenied):
        post_withdraw(actor=carol, post=post)
