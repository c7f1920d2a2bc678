"""Corrections and withdrawals of posts that are already out, on every network that can.

Each published variant records how its edit or deletion went (``remote_change``): done,
waiting (rate limited, retried by the minute task), failed with the reason, or not
possible on that network (e.g. Telegram channel posts in a thread, networks without
edits), so staff see exactly which copies still show the old text.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.channels.adapters.base import (
    AdapterError,
    AuthExpired,
    NotSupported,
    RateLimited,
    TransientError,
)
from townsquare.channels.adapters.http import backoff_delay
from townsquare.channels.services.credentials import account_mark_access_problem
from townsquare.core.services import audit_record
from townsquare.core.text import validate_clean_text
from townsquare.organisations.models import User
from townsquare.publishing.models import (
    LanguageVersion,
    Post,
    PostState,
    RemoteChange,
    Variant,
    VariantState,
)
from townsquare.publishing.rules import can_approve_any, can_compose, policy_for
from townsquare.publishing.services.archiving import variant_archive_after_commit
from townsquare.publishing.services.compose import MAX_TEXT_LENGTH, capabilities_of, lock_post
from townsquare.publishing.services.engine import with_fresh_credentials
from townsquare.publishing.text_fit import fit_text

CORRECTABLE = (PostState.PUBLISHED, PostState.PARTLY_FAILED)


def _enqueue(variant_ids: list[int]) -> None:
    from townsquare.publishing.tasks import apply_remote_change

    for variant_id in variant_ids:
        apply_remote_change(variant_id)


def _check_can_correct(actor: User, post: Post) -> None:
    # A correction goes out at once, so it needs someone who could have approved it
    # (or any composer where the organisation needs no approval).
    allowed = can_approve_any(actor, post) or (
        can_compose(actor, post.organisation) and policy_for(post.organisation).levels == 0
    )
    if not allowed:
        raise PermissionDenied


@transaction.atomic
def post_correct(*, actor: User, post: Post, language: str, text: str) -> list[Variant]:
    """Change the text of a published language version and edit it on every network."""
    post = lock_post(post)
    _check_can_correct(actor, post)
    if post.state not in CORRECTABLE:
        raise ValidationError(_("Only a published post can be corrected."))
    version = LanguageVersion.objects.filter(post=post, language=language).first()
    if version is None:
        raise ValidationError(_("This post has no version in that language."))
    if not text.strip():
        raise ValidationError({"text": _("The corrected text cannot be empty.")})
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            {
                "text": _("The text is %(length)d characters long; the most is %(max)d.")
                % {"length": len(text), "max": MAX_TEXT_LENGTH}
            }
        )
    validate_clean_text(text)
    version.text = text
    version.save(update_fields=["text", "updated_at"])
    post.content_version += 1
    post.approved_version = post.content_version
    post.save(update_fields=["content_version", "approved_version", "updated_at"])
    changed: list[Variant] = []
    for variant in version.variants.select_related("account"):
        capabilities = capabilities_of(variant.account)
        fitted = fit_text(text, capabilities)
        variant.parts = list(fitted.parts)
        variant.edited = variant.source_changed = False
        variant.content_version = post.content_version
        if variant.state != VariantState.PUBLISHED:
            variant.remote_change, variant.remote_change_kind = RemoteChange.NONE, ""
        elif not capabilities.edits:
            variant.remote_change, variant.remote_change_kind = RemoteChange.NOT_SUPPORTED, "edit"
            variant.remote_change_note = _("Posts on this network cannot be edited.")
        elif len(variant.parts) != 1 or len(variant.remote_ids) != 1:
            variant.remote_change, variant.remote_change_kind = RemoteChange.NOT_SUPPORTED, "edit"
            variant.remote_change_note = _(
                "A thread cannot be edited; delete it and publish the correction instead."
            )
        else:
            variant.remote_change, variant.remote_change_kind = RemoteChange.PENDING, "edit"
            variant.remote_change_note = ""
            changed.append(variant)
        variant.next_attempt_at = None
        variant.save()
    audit_record(
        actor=actor,
        action="post.correct",
        organisation=post.organisation,
        target=post,
        details={
            "language": language,
            "version": post.content_version,
            "variants": [v.pk for v in changed],
        },
    )
    ids = [v.pk for v in changed]
    transaction.on_commit(lambda: _enqueue(ids))
    return list(version.variants.all())


@transaction.atomic
def post_withdraw(*, actor: User, post: Post) -> list[Variant]:
    """Delete the post from every network that allows it; report the others."""
    post = lock_post(post)
    if not (can_compose(actor, post.organisation) or can_approve_any(actor, post)):
        raise PermissionDenied
    if post.state not in (PostState.PUBLISHED, PostState.PARTLY_FAILED, PostState.FAILED):
        raise ValidationError(_("Only a published post can be withdrawn."))
    ids = []
    for variant in Variant.objects.filter(version__post=post).select_related("account"):
        if variant.state != VariantState.PUBLISHED:
            continue
        variant.remote_change_kind = "delete"
        if capabilities_of(variant.account).deletes:
            variant.remote_change, variant.remote_change_note = RemoteChange.PENDING, ""
            ids.append(variant.pk)
        else:
            variant.remote_change = RemoteChange.NOT_SUPPORTED
            variant.remote_change_note = _(
                "Posts on this network cannot be deleted by Townsquare; delete it there."
            )
        variant.next_attempt_at = None
        variant.save()
    post.state = PostState.WITHDRAWN
    post.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action="post.withdraw",
        organisation=post.organisation,
        target=post,
        details={"variants": ids},
    )
    transaction.on_commit(lambda: _enqueue(ids))
    return list(Variant.objects.filter(version__post=post))


def remote_changes_due(*, now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    # Without a retry time: its job was queued when the change was made; pick it up here
    # only if that job seems lost.
    lost = Q(next_attempt_at__isnull=True, updated_at__lte=now - dt.timedelta(minutes=2))
    return list(
        Variant.objects.filter(remote_change=RemoteChange.PENDING)
        .filter(Q(next_attempt_at__lte=now) | lost)
        .values_list("pk", flat=True)
    )


def variant_apply_remote_change(*, variant_id: int, now: dt.datetime | None = None) -> str:
    """Send one pending edit or deletion; returns the resulting remote_change value."""
    now = now or timezone.now()
    variant = (
        Variant.objects.select_related("account__organisation")
        .filter(pk=variant_id, remote_change=RemoteChange.PENDING)
        .first()
    )
    if variant is None or (variant.next_attempt_at and variant.next_attempt_at > now):
        return "skipped"
    kind = variant.remote_change_kind
    try:
        if kind == "edit":
            text = variant.parts[0]
            with_fresh_credentials(
                variant.account, lambda adapter: adapter.edit(variant.remote_ids[0], text)
            )
        else:

            def delete_all(adapter):  # type: ignore[no-untyped-def]
                for remote_id in reversed(variant.remote_ids):
                    adapter.delete(remote_id)

            with_fresh_credentials(variant.account, delete_all)
    except NotSupported as exc:
        return _record(variant, RemoteChange.NOT_SUPPORTED, str(exc), now)
    except (RateLimited, TransientError) as exc:
        variant.attempts += 1
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        delay = backoff_delay(min(variant.attempts, 8), retry_after=retry_after, base=30.0)
        Variant.objects.filter(pk=variant.pk).update(
            next_attempt_at=now + dt.timedelta(seconds=delay), remote_change_note=str(exc)[:500]
        )
        return RemoteChange.PENDING
    except AuthExpired as exc:
        account_mark_access_problem(account=variant.account, note=str(exc))
        return _record(variant, RemoteChange.FAILED, str(exc), now)
    except (AdapterError, ValueError) as exc:
        return _record(variant, RemoteChange.FAILED, str(exc) or type(exc).__name__, now)
    state = VariantState.DELETED if kind == "delete" else VariantState.PUBLISHED
    Variant.objects.filter(pk=variant.pk).update(state=state)
    result = _record(variant, RemoteChange.DONE, "", now)
    variant_archive_after_commit(variant.pk)
    return result


def _record(variant: Variant, result: str, note: str, now: dt.datetime) -> str:
    Variant.objects.filter(pk=variant.pk).update(
        remote_change=result,
        remote_change_note=note[:500],
        next_attempt_at=None,
        updated_at=now,
    )
    return result
