"""The publishing engine: due posts → one job per variant → published, exactly once.

Exactly once, although jobs run at least once:
- a post is started by a conditional UPDATE (scheduled → publishing), so two schedulers
  never start it twice;
- a variant is marked "sending" (committed) before the network is called, with an
  idempotency key that stays the same for every attempt of that content version;
- a job that finds a variant already sent once (a retry, or a worker that crashed after
  the network accepted but before we recorded it) first asks the network for a post
  with that key (``find_published``) and records it instead of sending again; networks
  that honour idempotency keys themselves (Mastodon's Idempotency-Key) also answer a
  repeated send with the original post.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.channels.adapters.base import (
    AdapterError,
    Attachment,
    AuthExpired,
    ChannelAdapter,
    Credentials,
    MalformedResponse,
    Network,
    PostRequest,
    PublishedPost,
    RateLimited,
    TransientError,
)
from townsquare.channels.adapters.http import backoff_delay
from townsquare.channels.adapters.registry import OAUTH
from townsquare.channels.models import Account, AccountStatus, ConnectionState
from townsquare.channels.runtime import adapter_for, oauth_for
from townsquare.channels.services.credentials import (
    account_mark_access_problem,
    credentials_load,
    credentials_need_refresh,
    credentials_refresh,
    credentials_save_rotated,
    credentials_version,
)
from townsquare.core.services import audit_record, notification_send
from townsquare.media.public import public_url_for_attachment
from townsquare.organisations.models import User
from townsquare.publishing.models import Post, PostState, Variant, VariantState
from townsquare.publishing.rules import can_approve_any, can_compose
from townsquare.publishing.services.archiving import variant_archive_after_commit
from townsquare.publishing.services.compose import lock_post

# A variant still "sending" after this long belongs to a worker that died.
STALE_SENDING = dt.timedelta(minutes=5)
T = TypeVar("T")
ACTIVE_STATES = (VariantState.PENDING, VariantState.SENDING, VariantState.RETRYING)


def _enqueue_variants(variant_ids: list[int]) -> None:
    from townsquare.publishing.tasks import publish_variant

    for variant_id in variant_ids:
        publish_variant(variant_id)


def posts_dispatch_due(
    *, now: dt.datetime | None = None, post_ids: list[int] | None = None
) -> list[int]:
    """Start every scheduled post that is due; returns the ids of the posts started."""
    now = now or timezone.now()
    due = Post.objects.filter(state=PostState.SCHEDULED, scheduled_at__lte=now)
    if post_ids is not None:
        due = due.filter(pk__in=post_ids)
    started = []
    for post_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            if not Post.objects.filter(pk=post_id, state=PostState.SCHEDULED).update(
                state=PostState.PUBLISHING, updated_at=now
            ):
                continue  # another scheduler got there first
            post = Post.objects.select_related("organisation").get(pk=post_id)
            if post.approved_version != post.content_version:
                # Cannot happen through the services (an edit sends the post back to
                # review); refuse rather than publish something nobody approved.
                post.state = PostState.IN_REVIEW
                post.save(update_fields=["state", "updated_at"])
                audit_record(
                    actor=None,
                    action="post.publish_refused",
                    organisation=post.organisation,
                    target=post,
                    details={"version": post.content_version, "approved": post.approved_version},
                )
                continue
            ids = list(
                Variant.objects.filter(version__post=post, state=VariantState.PENDING).values_list(
                    "pk", flat=True
                )
            )
            audit_record(
                actor=None,
                action="post.publish_start",
                organisation=post.organisation,
                target=post,
                details={"variants": len(ids), "emergency": post.emergency},
            )
            transaction.on_commit(partial(_enqueue_variants, ids))
            started.append(post_id)
        if not ids:
            post_refresh_state(post_id=post_id, now=now)
    return started


def variants_due(*, now: dt.datetime | None = None) -> list[int]:
    """Variants to try again: backed-off retries, and jobs of workers that died."""
    now = now or timezone.now()
    retry = Variant.objects.filter(state=VariantState.RETRYING, next_attempt_at__lte=now)
    stale = Variant.objects.filter(state=VariantState.SENDING, updated_at__lte=now - STALE_SENDING)
    return list(retry.values_list("pk", flat=True)) + list(stale.values_list("pk", flat=True))


def _account_problem(account: Account) -> str:
    if account.status == AccountStatus.RETIRED:
        return _("The account %(handle)s was retired after the post was written.") % {
            "handle": account.handle
        }
    if account.connection_state != ConnectionState.CONNECTED:
        return _("The account %(handle)s is not connected (%(state)s).") % {
            "handle": account.handle,
            "state": account.get_connection_state_display(),
        }
    return ""


def _claim(variant_id: int, now: dt.datetime) -> tuple[Variant, bool] | None:
    """Lock the variant and mark it sending; None when there is nothing to do now."""
    with transaction.atomic():
        variant = (
            Variant.objects.select_for_update()
            .select_related("version__post__organisation", "account__organisation")
            .filter(pk=variant_id)
            .first()
        )
        if variant is None or variant.state not in ACTIVE_STATES:
            return None
        if variant.state == VariantState.RETRYING and (variant.next_attempt_at or now) > now:
            return None
        if variant.state == VariantState.SENDING and variant.updated_at > now - STALE_SENDING:
            return None  # another worker is sending it right now
        post = variant.version.post
        if post.state != PostState.PUBLISHING:
            return None
        problem = ""
        if post.approved_version != post.content_version or (
            variant.content_version != post.approved_version
        ):
            problem = _("This variant is not the approved version of the post.")
        problem = problem or _account_problem(variant.account)
        if problem:
            _finish_failed(variant, problem, now)
            return None
        # Sent before (a retry, or a crash after sending): look it up before sending again.
        reconcile = bool(variant.idempotency_key)
        if not variant.idempotency_key:
            variant.idempotency_key = f"townsquare-{variant.pk}-v{variant.content_version}"
        variant.attempts += 1
        variant.state = VariantState.SENDING
        variant.updated_at = now
        Variant.objects.filter(pk=variant.pk).update(
            idempotency_key=variant.idempotency_key,
            attempts=variant.attempts,
            state=variant.state,
            updated_at=now,
        )
        return variant, reconcile


def _finish_failed(variant: Variant, reason: str, now: dt.datetime) -> None:
    variant.state = VariantState.FAILED
    variant.last_error = reason[:500]
    variant.next_attempt_at = None
    Variant.objects.filter(pk=variant.pk).update(
        state=variant.state, last_error=variant.last_error, next_attempt_at=None, updated_at=now
    )


def _requests(variant: Variant) -> list[PostRequest]:
    from townsquare.media.selectors import asset_content

    version = variant.version
    attachments = tuple(
        Attachment(
            content=asset_content(asset),
            mime_type=asset.mime_type,
            alt_text=(asset.alt_text or {}).get(version.language, ""),
            filename=asset.original_filename,
        )
        for asset in version.media.order_by("pk")
    )
    parts = variant.parts
    return [
        PostRequest(
            text=text,
            attachments=attachments if number == 0 else (),
            idempotency_key=variant.idempotency_key
            if len(parts) == 1
            else f"{variant.idempotency_key}-{number + 1}",
            language=version.language.split("-")[0],
        )
        for number, text in enumerate(parts)
    ]


def _send(
    adapter: ChannelAdapter, requests: list[PostRequest], reconcile: bool
) -> list[PublishedPost]:
    done: list[PublishedPost] = []
    if reconcile:
        for request in requests:
            found = adapter.find_published(request.idempotency_key)
            if found is None:
                break
            done.append(found)
    remaining = requests[len(done) :]
    if not remaining:
        return done
    if len(requests) == 1:
        return [adapter.publish(remaining[0])]
    reply_to = done[-1].remote_id if done else ""
    remaining[0] = dataclasses.replace(remaining[0], in_reply_to=reply_to)
    return done + adapter.publish_thread(remaining)


def _refresher(account: Account) -> Callable[[Credentials], Credentials] | None:
    if Network(account.network) not in OAUTH:
        return None

    def refresh(credentials: Credentials) -> Credentials:
        try:
            client = oauth_for(account)
        except (ValueError, AdapterError) as exc:
            raise AuthExpired("the OAuth settings of this account are incomplete") from exc
        return client.refresh(credentials)

    return refresh


def _run_time_config(account: Account) -> dict[str, Any]:
    # Instagram downloads images from a URL while it builds the post.
    if account.network == Network.INSTAGRAM:
        return {"public_media_url": public_url_for_attachment}
    return {}


def with_fresh_credentials(account: Account, call: Callable[[ChannelAdapter], T]) -> T:
    """Run ``call`` with the account's adapter; on a refused token refresh once and retry.

    The token can expire between two requests of one publish (after the media upload,
    before the status): the whole call is repeated once with fresh tokens, which the
    network's idempotency key and our reconciliation keep from posting twice.
    """
    refresher = _refresher(account)
    version = credentials_version(account)
    credentials = credentials_load(account)
    if refresher is not None and credentials_need_refresh(credentials):
        credentials = credentials_refresh(account=account, refresh=refresher)
        version = credentials_version(account)
    adapter = adapter_for(account, credentials, extra_config=_run_time_config(account))
    try:
        result = call(adapter)
    except AuthExpired:
        if refresher is None or not credentials.refresh_token:
            raise
        credentials = credentials_refresh(account=account, refresh=refresher, force_version=version)
        adapter = adapter_for(account, credentials, extra_config=_run_time_config(account))
        result = call(adapter)
    credentials_save_rotated(account=account, before=credentials, after=adapter.credentials)
    return result


def variant_publish(*, variant_id: int, now: dt.datetime | None = None) -> str:
    """One publish job. Returns the variant's state afterwards (for tasks and tests)."""
    now = now or timezone.now()
    claimed = _claim(variant_id, now)
    if claimed is None:
        variant = Variant.objects.filter(pk=variant_id).select_related("version").first()
        if variant is None:
            return "missing"
        if variant.state == VariantState.FAILED:
            # Failed before sending (retired account, version mismatch): the post may be done.
            post_refresh_state(post_id=variant.version.post_id, now=now)
        return variant.state
    variant, reconcile = claimed
    account = variant.account
    try:
        requests = _requests(variant)
        published = with_fresh_credentials(
            account, lambda adapter: _send(adapter, requests, reconcile)
        )
    except AuthExpired as exc:
        account_mark_access_problem(account=account, note=str(exc))
        return _failed(
            variant,
            _(
                "The network refused the account's access (%(error)s). "
                "Reconnect the account, then retry."
            )
            % {"error": exc},
            now,
        )
    except (RateLimited, TransientError, MalformedResponse) as exc:
        return _retry_later(variant, exc, now)
    except (AdapterError, ValueError) as exc:
        # Refused for good (too long, blocked), not possible, or the account's settings are
        # not valid: trying again would give the same answer.
        return _failed(variant, str(exc) or type(exc).__name__, now)
    variant_record_published(variant=variant, published=published, now=now)
    variant_archive_after_commit(variant.pk)
    post_refresh_state(post_id=variant.version.post_id, now=now)
    return VariantState.PUBLISHED


def variant_record_published(
    *, variant: Variant, published: list[PublishedPost], now: dt.datetime
) -> None:
    with transaction.atomic():
        Variant.objects.filter(pk=variant.pk).update(
            state=VariantState.PUBLISHED,
            remote_ids=[p.remote_id for p in published],
            remote_url=published[0].url[:500] if published else "",
            published_at=published[0].published_at or now if published else now,
            last_error="",
            next_attempt_at=None,
            updated_at=now,
        )


def _failed(variant: Variant, reason: str, now: dt.datetime) -> str:
    _finish_failed(variant, reason, now)
    post_refresh_state(post_id=variant.version.post_id, now=now)
    return VariantState.FAILED


def _retry_later(variant: Variant, exc: AdapterError, now: dt.datetime) -> str:
    if variant.attempts >= settings.PUBLISHING_MAX_ATTEMPTS:
        return _failed(
            variant,
            _("Gave up after %(attempts)d attempts: %(error)s")
            % {"attempts": variant.attempts, "error": exc},
            now,
        )
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    delay = backoff_delay(variant.attempts, retry_after=retry_after, base=30.0)
    Variant.objects.filter(pk=variant.pk).update(
        state=VariantState.RETRYING,
        next_attempt_at=now + dt.timedelta(seconds=delay),
        last_error=str(exc)[:500],
        updated_at=now,
    )
    return VariantState.RETRYING


def post_refresh_state(*, post_id: int, now: dt.datetime | None = None) -> str:
    """Once no variant is still on its way: published, partly failed or failed."""
    now = now or timezone.now()
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("organisation").get(pk=post_id)
        if post.state != PostState.PUBLISHING:
            return post.state
        states = list(Variant.objects.filter(version__post=post).values_list("state", flat=True))
        if any(state in ACTIVE_STATES for state in states):
            return post.state
        published = states.count(VariantState.PUBLISHED)
        failed = states.count(VariantState.FAILED)
        if failed == 0:
            post.state = PostState.PUBLISHED
        elif published == 0:
            post.state = PostState.FAILED
        else:
            post.state = PostState.PARTLY_FAILED
        if published and post.published_at is None:
            post.published_at = now
        post.save(update_fields=["state", "published_at", "updated_at"])
        audit_record(
            actor=None,
            action=f"post.{post.state}",
            organisation=post.organisation,
            target=post,
            details={"published": published, "failed": failed},
        )
        author = post.author if failed and post.author_id else None
        if author is not None:
            # Failures must not pass silently: the author hears which post needs attention.
            state, params = post.state, {"title": post.title, "failed": failed}
            transaction.on_commit(lambda: notification_send(
                recipient=author, message_key=f"publishing.{state}", params=params,
                url=reverse("publishing:detail", args=[post_id]),
            ))
        return post.state


@transaction.atomic
def post_retry_failed(*, actor: User, post: Post) -> list[int]:
    """Send the failed variants again (only those); the published ones stay as they are."""
    post = lock_post(post)
    if not (can_compose(actor, post.organisation) or can_approve_any(actor, post)):
        raise PermissionDenied
    if post.state not in (PostState.PARTLY_FAILED, PostState.FAILED):
        raise ValidationError(_("Only a post that failed, fully or partly, can be retried."))
    failed = Variant.objects.filter(version__post=post, state=VariantState.FAILED)
    ids = list(failed.values_list("pk", flat=True))
    # The idempotency key is kept: should an earlier attempt have gone through after all,
    # the retry finds it instead of posting again.
    failed.update(state=VariantState.PENDING, attempts=0, next_attempt_at=None)
    post.state = PostState.PUBLISHING
    post.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action="post.retry_failed",
        organisation=post.organisation,
        target=post,
        details={"variants": ids},
    )
    transaction.on_commit(lambda: _enqueue_variants(ids))
    return ids
