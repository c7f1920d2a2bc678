"""Composing, reviewing and approving: the transitions, their rules and their races."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from townsquare.core.models import AuditEvent
from townsquare.publishing.models import (
    Approval,
    ApprovalPolicy,
    CommentKind,
    LanguageVersion,
    PostState,
    Variant,
)
from townsquare.publishing.services.compose import (
    VersionInput,
    post_create,
    post_update,
    variant_edit,
    variant_reset,
)
from townsquare.publishing.services.workflow import (
    post_approve,
    post_comment_add,
    post_emergency_publish,
    post_emergency_review,
    post_request_changes,
    post_submit,
)

pytestmark = pytest.mark.django_db


def test_compose_in_three_languages_makes_one_variant_per_account(make_post, accounts):
    post = make_post(
        languages={
            "en": VersionInput(
                "Buses run late tonight.", [accounts["mastodon"], accounts["bluesky"]]
            ),
            "ar": VersionInput("الحافلات تتأخر الليلة.", [accounts["mastodon"]]),
            "zh-hans": VersionInput("今晚公交车晚点。", [accounts["mastodon"]]),
        }
    )
    assert post.state == PostState.DRAFT and post.content_version == 1
    assert post.title == "Buses run late tonight."
    assert sorted(post.versions.values_list("language", flat=True)) == ["ar", "en", "zh-hans"]
    assert Variant.objects.filter(version__post=post).count() == 4
    arabic = Variant.objects.get(version__post=post, version__language="ar")
    assert arabic.parts == ["الحافلات تتأخر الليلة."]
    assert AuditEvent.objects.filter(action="post.create", target_id=str(post.pk)).exists()


def test_long_text_becomes_a_thread_on_mastodon(make_post):
    post = make_post("Service change. " * 100)
    (variant,) = Variant.objects.filter(version__post=post)
    assert len(variant.parts) > 1
    assert all(len(part) <= 500 for part in variant.parts)


def test_post_of_ten_thousand_characters_is_accepted_and_more_is_refused(make_post):
    post = make_post("a" * 9_999 + ".")
    assert len(LanguageVersion.objects.get(post=post).text) == 10_000
    with pytest.raises(ValidationError) as caught:
        make_post("a" * 10_001)
    assert "10001" in str(caught.value.message_dict) or "10,001" in str(caught.value)


def test_script_tags_are_stored_as_text(make_post, erin, client_for):
    post = make_post("<script>alert('x')</script> Buses & trains")
    assert post.versions.get().text == "<script>alert('x')</script> Buses & trains"
    page = client_for(erin).get(f"/console/publishing/{post.pk}/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_bad_input_is_refused_with_clear_errors(
    make_post, accounts, health_account, erin, government
):
    with pytest.raises(ValidationError) as caught:
        make_post(languages={"en": VersionInput("   ", [])})
    assert "at least one language" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        make_post(languages={"en": VersionInput("Hello", [])})
    assert "accounts_en" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        make_post(languages={"en": VersionInput("Hello", [health_account])})
    assert "may not publish to @health@sandbox.local" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        make_post(languages={"en": VersionInput("Hello\x00", [accounts["mastodon"]])})
    assert "control characters" in str(caught.value)


def test_bob_the_responder_cannot_compose_or_approve(make_post, bob, government, accounts, erin):
    with pytest.raises(PermissionDenied):
        post_create(
            actor=bob,
            organisation=government["transport"],
            title="",
            versions={"en": VersionInput("Hi", [accounts["mastodon"]])},
        )
    post = make_post()
    post_submit(actor=erin, post=post)
    with pytest.raises(PermissionDenied):
        post_approve(actor=bob, post=post, seen_version=post.content_version)


def test_carol_of_health_cannot_act_on_transport_posts(make_post, carol, erin):
    post = make_post()
    post_submit(actor=erin, post=post)
    with pytest.raises(PermissionDenied):
        post_approve(actor=carol, post=post, seen_version=post.content_version)
    with pytest.raises(PermissionDenied):
        post_comment_add(actor=carol, post=post, text="hm")


def test_review_flow_with_comment_and_change_request(make_post, erin, ahmed):
    post = make_post()
    post_submit(actor=erin, post=post)
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW
    post_comment_add(actor=ahmed, post=post, text="Which Monday?")
    comment = post_request_changes(actor=ahmed, post=post, text="Add the date.")
    assert comment.kind == CommentKind.CHANGE_REQUEST
    post.refresh_from_db()
    assert post.state == PostState.DRAFT
    with pytest.raises(ValidationError, match="not waiting for review"):
        post_approve(actor=ahmed, post=post, seen_version=post.content_version)
    post_submit(actor=erin, post=post)
    post_approve(actor=ahmed, post=post, seen_version=post.content_version)
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    assert post.approved_version == post.content_version
    actions = set(
        AuditEvent.objects.filter(target_id=str(post.pk)).values_list("action", flat=True)
    )
    assert {"post.submit", "post.comment", "post.request_changes", "post.approve"} <= actions


def test_nobody_approves_their_own_post(make_post, alice):
    post = make_post(author=alice)
    post_submit(actor=alice, post=post)
    with pytest.raises(ValidationError, match="own post"):
        post_approve(actor=alice, post=post, seen_version=post.content_version)


def test_two_levels_need_two_different_people(make_post, erin, ahmed, alice, government):
    ApprovalPolicy.objects.create(
        organisation=government["transport"],
        levels=2,
        level_one_roles=["approver", "administrator"],
        level_two_roles=["administrator"],
    )
    post = make_post()
    post_submit(actor=erin, post=post)
    post_approve(actor=ahmed, post=post, seen_version=post.content_version)
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW
    with pytest.raises(PermissionDenied):  # level 2 is for administrators only
        post_approve(actor=ahmed, post=post, seen_version=post.content_version)
    post_approve(actor=alice, post=post, seen_version=post.content_version)
    post.refresh_from_db()
    assert post.state == PostState.APPROVED
    assert list(Approval.objects.filter(post=post).values_list("level", flat=True)) == [1, 2]


def test_no_approval_needed_goes_straight_to_approved(make_post, erin, government):
    ApprovalPolicy.objects.create(organisation=government["transport"], levels=0)
    post = make_post()
    post_submit(actor=erin, post=post)
    post.refresh_from_db()
    assert post.state == PostState.APPROVED and post.approved_version == 1


def test_edit_while_in_review_bumps_the_version_and_stale_approval_is_refused(
    make_post, erin, ahmed, accounts
):
    post = make_post()
    post_submit(actor=erin, post=post)
    seen = post.content_version
    post_update(
        actor=erin,
        post=post,
        title="",
        versions={"en": VersionInput("Route 12: every 8 minutes.", [accounts["mastodon"]])},
    )
    post.refresh_from_db()
    assert post.content_version == seen + 1 and post.state == PostState.IN_REVIEW
    with pytest.raises(ValidationError, match="changed after you opened it"):
        post_approve(actor=ahmed, post=post, seen_version=seen)
    post_approve(actor=ahmed, post=post, seen_version=post.content_version)
    post.refresh_from_db()
    assert post.approved_version == post.content_version


def test_edit_after_approval_sends_the_post_back_to_review(approved_post, erin, accounts):
    post = approved_post()
    post_update(
        actor=erin,
        post=post,
        title="",
        versions={"en": VersionInput("Changed text", [accounts["mastodon"]])},
    )
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW
    assert post.approved_version == post.content_version - 1


def test_saving_unchanged_content_keeps_the_approval(approved_post, erin, accounts):
    post = approved_post()
    text = post.versions.get().text
    post_update(
        actor=erin,
        post=post,
        title="New title",
        versions={"en": VersionInput(text, [accounts["mastodon"]])},
    )
    post.refresh_from_db()
    assert post.state == PostState.APPROVED and post.title == "New title"


def test_update_with_a_stale_expected_version_loses_nothing(make_post, erin, accounts):
    post = make_post()
    post_update(
        actor=erin,
        post=post,
        title="",
        versions={"en": VersionInput("Version two", [accounts["mastodon"]])},
    )
    with pytest.raises(ValidationError, match="changed this post"):
        post_update(
            actor=erin,
            post=post,
            title="",
            expected_version=1,
            versions={"en": VersionInput("Version three", [accounts["mastodon"]])},
        )
    assert post.versions.get().text == "Version two"


def test_hand_edited_variant_is_kept_and_flagged_when_the_source_changes(make_post, erin, accounts):
    post = make_post()
    variant = Variant.objects.get(version__post=post)
    with pytest.raises(ValidationError, match="Part 1 is 501 long"):
        variant_edit(actor=erin, variant=variant, parts=["x" * 501])
    variant_edit(actor=erin, variant=variant, parts=["My own words", "Second part"])
    variant.refresh_from_db()
    assert variant.edited and variant.parts == ["My own words", "Second part"]
    post_update(
        actor=erin,
        post=post,
        title="",
        versions={"en": VersionInput("New source text", [accounts["mastodon"]])},
    )
    variant.refresh_from_db()
    assert variant.parts == ["My own words", "Second part"] and variant.source_changed
    variant_reset(actor=erin, variant=variant)
    variant.refresh_from_db()
    assert variant.parts == ["New source text"] and not variant.edited


def test_bluesky_variant_cannot_be_a_thread_of_hand_parts_longer_than_its_limit(
    make_post, erin, accounts
):
    post = make_post(account_list=[accounts["bluesky"]])
    variant = Variant.objects.get(version__post=post)
    with pytest.raises(ValidationError, match="allows 300"):
        variant_edit(actor=erin, variant=variant, parts=["é" * 301])


def test_image_without_alt_text_blocks_approval(make_post, erin, ahmed, accounts, government):
    from townsquare.media.models import MediaAsset

    image = MediaAsset.objects.create(
        organisation=government["transport"],
        kind="image",
        sha256="0" * 64,
        mime_type="image/png",
        byte_size=100,
        width=10,
        height=10,
        original_filename="map.png",
        alt_text={"ar": "خريطة"},
    )
    post = make_post(
        languages={
            "en": VersionInput("See the map", [accounts["mastodon"]], media=[image]),
        }
    )
    post_submit(actor=erin, post=post)
    with pytest.raises(ValidationError) as caught:
        post_approve(actor=ahmed, post=post, seen_version=post.content_version)
    assert "map.png" in str(caught.value)
    image.alt_text = {"en": "Map of route 12"}
    image.save()
    post_approve(actor=ahmed, post=post, seen_version=post.content_version)


def test_concurrent_approvals_create_one_approval_per_level(make_post, erin, ahmed, monkeypatch):
    """A forced race: the second approver read the post before the first one's approval."""
    post = make_post()
    post_submit(actor=erin, post=post)
    Approval.objects.create(
        post=post, level=1, content_version=post.content_version, approver=ahmed
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.create(
            post=post, level=1, content_version=post.content_version, approver=erin
        )

    from townsquare.publishing.services import workflow

    class StaleApprovals:
        """Reads "no approvals yet", as a database without row locks might have."""

        objects = type(
            "M",
            (),
            {
                "filter": staticmethod(lambda *a, **k: Approval.objects.none()),
                "create": staticmethod(Approval.objects.create),
            },
        )()

    monkeypatch.setattr(workflow, "Approval", StaleApprovals)
    with pytest.raises(ValidationError, match="same moment"):
        post_approve(actor=_another_approver(post), post=post, seen_version=post.content_version)
    assert Approval.objects.filter(post=post, level=1).count() == 1
    post.refresh_from_db()
    assert post.state == PostState.IN_REVIEW  # the losing transaction changed nothing


def _another_approver(post):
    from townsquare.organisations.services import membership_grant, staff_user_create

    user = staff_user_create(
        actor=None,
        username="farid",
        email="farid@example.org",
        first_name="Farid",
        password="x-long-pass-phrase-1",
    )
    membership_grant(actor=None, user=user, organisation=post.organisation, role="approver")
    return user


def test_emergency_publish_by_named_role_and_review_afterwards(make_post, alice, ahmed, erin):
    post = make_post(author=erin)
    with pytest.raises(PermissionDenied):
        post_emergency_publish(actor=erin, post=post, reason="Flood")  # editors may not
    with pytest.raises(ValidationError):
        post_emergency_publish(actor=alice, post=post, reason="  ")
    post = post_emergency_publish(actor=alice, post=post, reason="Flooding on the coast road")
    assert post.emergency and post.emergency_by == alice
    assert post.state == PostState.SCHEDULED and post.approved_version == post.content_version
    with pytest.raises(ValidationError, match="Someone else"):
        post_emergency_review(actor=alice, post=post)
    post_emergency_review(actor=ahmed, post=post)
    post.refresh_from_db()
    assert post.reviewed_after_by == ahmed
    assert AuditEvent.objects.filter(action="post.emergency_publish").exists()


def test_communications_office_shares_one_post_to_several_agencies(government, accounts,
                                                                   health_account):
    from townsquare.publishing.rules import publishable_accounts

    from .conftest import _user

    kofi = _user("kofi", government["office"], "editor")
    assert {accounts["mastodon"], health_account} <= set(publishable_accounts(kofi))
    post = post_create(actor=kofi, organisation=government["office"], title="Heatwave", versions={
        "en": VersionInput("Drink water and stay in the shade.",
                           [accounts["mastodon"], health_account]),
    })
    assert Variant.objects.filter(version__post=post).count() == 2
