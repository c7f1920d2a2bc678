"""The review workflow: one audited service per transition.

draft → in review → approved → scheduled → publishing → published / partly failed / failed

Every transition locks the post's row first (SELECT … FOR UPDATE on PostgreSQL; SQLite
serialises writers), re-reads its state, then checks and changes it, so two people acting
at the same moment see each other's result instead of overwriting it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.organisations.models import User
from townsquare.publishing.models import (
    EDITABLE_STATES,
    Approval,
    Comment,
    CommentKind,
    Post,
    PostState,
    Variant,
)
from townsquare.publishing.rules import (
    can_approve_any,
    can_approve_at,
    can_publish_in_emergency,
    policy_for,
)
from townsquare.publishing.schedule import ResolvedTime, resolve_local_time
from townsquare.publishing.services.compose import capabilities_of, check_can_compose, lock_post


def _audit(actor: User | None, action: str, post: Post, **details: object) -> None:
    audit_record(
        actor=actor,
        action=action,
        organisation=post.organisation,
        target=post,
        details={"version": post.content_version, "state": post.state, **details},
    )


def media_problems(post: Post) -> list[str]:
    """What stops the post's media from going out: missing alt text, network limits."""
    from townsquare.media import services as media_services

    problems: list[str] = []
    for version in post.versions.prefetch_related("media", "accounts"):
        for asset in version.media.all():
            for account in version.accounts.all():
                for problem in media_services.media_problems_for(
                    asset, capabilities_of(account), language=version.language
                ):
                    problems.append(f"{asset.original_filename} ({account.handle}): {problem}")
    return list(dict.fromkeys(problems))


def _check_publishable_content(post: Post) -> None:
    problems = media_problems(post)
    if not Variant.objects.filter(version__post=post).exists():
        problems.append(_("The post has no accounts to publish to."))
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def post_submit(*, actor: User, post: Post) -> Post:
    """Send a draft for review (or straight to approved when no approval is needed)."""
    post = lock_post(post)
    check_can_compose(actor, post.organisation)
    if post.state != PostState.DRAFT:
        raise ValidationError(_("Only a draft can be sent for review."))
    if not Variant.objects.filter(version__post=post).exists():
        raise ValidationError(_("The post has no accounts to publish to."))
    if policy_for(post.organisation).levels == 0:
        _check_publishable_content(post)
        _mark_approved(post)
    else:
        post.state = PostState.IN_REVIEW
        post.save(update_fields=["state", "updated_at"])
    _audit(actor, "post.submit", post)
    return post


def _mark_approved(post: Post) -> None:
    post.approved_version = post.content_version
    post.state = PostState.SCHEDULED if post.scheduled_at else PostState.APPROVED
    post.save(update_fields=["approved_version", "state", "updated_at"])


def post_approve(*, actor: User, post: Post, seen_version: int) -> Approval:
    """Approve the version the approver saw, at the next level the post needs.

    Two approvers at once: the row lock makes the second wait and then see the first's
    approval; should a database not lock, the unique (post, version, level) constraint
    still lets only one of them in.
    """
    try:
        with transaction.atomic():
            return _approve(actor, post, seen_version)
    except IntegrityError as exc:
        raise ValidationError(
            _("Someone else approved this post at the same moment. Reload the page.")
        ) from exc


def _approve(actor: User, post: Post, seen_version: int) -> Approval:
    post = lock_post(post)
    if post.state != PostState.IN_REVIEW:
        raise ValidationError(_("This post is not waiting for review."))
    if seen_version != post.content_version:
        raise ValidationError(
            _("The post was changed after you opened it. Review the new version.")
        )
    if post.author_id == actor.pk:
        raise ValidationError(_("Nobody may approve their own post."))
    policy = policy_for(post.organisation)
    given = list(Approval.objects.filter(post=post, content_version=post.content_version))
    level = len(given) + 1
    if not can_approve_at(actor, post, level):
        raise PermissionDenied
    if any(a.approver_id == actor.pk for a in given):
        raise ValidationError(_("A second approval must come from another person."))
    _check_publishable_content(post)
    approval = Approval.objects.create(
        post=post, level=level, content_version=post.content_version, approver=actor
    )
    if level >= policy.levels:
        _mark_approved(post)
    _audit(actor, "post.approve", post, level=level)
    return approval


@transaction.atomic
def post_request_changes(*, actor: User, post: Post, text: str) -> Comment:
    post = lock_post(post)
    if not can_approve_any(actor, post):
        raise PermissionDenied
    if post.state not in (PostState.IN_REVIEW, PostState.APPROVED, PostState.SCHEDULED):
        raise ValidationError(_("Changes can only be requested while a post is reviewed."))
    if not text.strip():
        raise ValidationError({"text": _("Say what should change.")})
    comment = Comment.objects.create(
        post=post,
        author=actor,
        kind=CommentKind.CHANGE_REQUEST,
        text=text.strip(),
        content_version=post.content_version,
    )
    post.state = PostState.DRAFT
    post.approved_version = None
    post.save(update_fields=["state", "approved_version", "updated_at"])
    _audit(actor, "post.request_changes", post)
    return comment


@transaction.atomic
def post_comment_add(*, actor: User, post: Post, text: str) -> Comment:
    from townsquare.publishing.rules import can_compose

    if not (can_compose(actor, post.organisation) or can_approve_any(actor, post)):
        raise PermissionDenied
    if not text.strip():
        raise ValidationError({"text": _("Write a comment.")})
    if len(text) > 4000:
        raise ValidationError({"text": _("A comment can be at most 4000 characters long.")})
    comment = Comment.objects.create(
        post=post, author=actor, text=text.strip(), content_version=post.content_version
    )
    _audit(actor, "post.comment", post)
    return comment


@transaction.atomic
def post_schedule(
    *,
    actor: User,
    post: Post,
    date: dt.date,
    time: dt.time,
    fold: int | None = None,
    now: dt.datetime | None = None,
) -> ResolvedTime:
    """Set when the post goes out, in its organisation's time zone (ScheduleError if not)."""
    post = lock_post(post)
    check_can_compose(actor, post.organisation)
    if post.state not in EDITABLE_STATES:
        raise ValidationError(_("This post can no longer be scheduled."))
    zone = post.organisation.time_zone
    resolved = resolve_local_time(
        date=date, time=time, time_zone=zone, fold=fold, now=now or timezone.now()
    )
    post.scheduled_date, post.scheduled_time = date, resolved.local.time().replace(tzinfo=None)
    post.scheduled_fold, post.scheduled_time_zone = resolved.fold, zone
    post.scheduled_at = resolved.utc
    if post.state == PostState.APPROVED:
        post.state = PostState.SCHEDULED
    post.save()
    _audit(actor, "post.schedule", post, at=resolved.utc.isoformat())
    return resolved


@transaction.atomic
def post_publish_now(*, actor: User, post: Post, now: dt.datetime | None = None) -> Post:
    """An approved post goes out at the next run of the publisher (within a minute)."""
    post = lock_post(post)
    check_can_compose(actor, post.organisation)
    if post.state not in (PostState.APPROVED, PostState.SCHEDULED):
        raise ValidationError(_("Only an approved post can be published."))
    now = now or timezone.now()
    local = now.astimezone(_zone(post))
    post.scheduled_date, post.scheduled_time = local.date(), local.time().replace(microsecond=0)
    post.scheduled_fold, post.scheduled_time_zone = local.fold, post.organisation.time_zone
    post.scheduled_at, post.state = now, PostState.SCHEDULED
    post.save()
    _audit(actor, "post.publish_now", post)
    return post


def _zone(post: Post) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(post.organisation.time_zone)


@transaction.atomic
def post_unschedule(*, actor: User, post: Post) -> Post:
    post = lock_post(post)
    check_can_compose(actor, post.organisation)
    if post.state not in EDITABLE_STATES:
        raise ValidationError(_("This post is already being published."))
    post.scheduled_date = post.scheduled_time = post.scheduled_at = None
    post.scheduled_time_zone = ""
    if post.state == PostState.SCHEDULED:
        post.state = PostState.APPROVED
    post.save()
    _audit(actor, "post.unschedule", post)
    return post


@transaction.atomic
def post_emergency_publish(
    *, actor: User, post: Post, reason: str, now: dt.datetime | None = None
) -> Post:
    """Crisis communication: out at once on a named role's word, reviewed afterwards."""
    post = lock_post(post)
    if not can_publish_in_emergency(actor, post.organisation):
        raise PermissionDenied
    if post.state not in EDITABLE_STATES:
        raise ValidationError(_("This post is already being published."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this cannot wait for review.")})
    _check_publishable_content(post)
    now = now or timezone.now()
    post.emergency, post.emergency_by = True, actor
    post.emergency_reason = reason.strip()[:300]
    post.approved_version = post.content_version
    post.scheduled_at, post.state = now, PostState.SCHEDULED
    post.save()
    _audit(actor, "post.emergency_publish", post, reason=post.emergency_reason)
    from townsquare.publishing.services.engine import posts_dispatch_due

    transaction.on_commit(lambda: posts_dispatch_due(now=now, post_ids=[post.pk]))
    return post


@transaction.atomic
def post_emergency_review(*, actor: User, post: Post) -> Post:
    """The review an emergency post skipped, done afterwards by someone else."""
    post = lock_post(post)
    if not post.emergency:
        raise ValidationError(_("This is not an emergency post."))
    if post.reviewed_after_at is not None:
        raise ValidationError(_("This emergency post has been reviewed already."))
    if actor.pk in (post.author_id, post.emergency_by_id):
        raise ValidationError(_("Someone else must review an emergency post."))
    if not can_approve_at(actor, post, 1):
        raise PermissionDenied
    post.reviewed_after_by, post.reviewed_after_at = actor, timezone.now()
    post.save(update_fields=["reviewed_after_by", "reviewed_after_at", "updated_at"])
    _audit(actor, "post.emergency_review", post)
    return post
