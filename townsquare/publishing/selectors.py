"""Reads of posts, scoped to what the asking user may see (another agency's ids → 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from townsquare.channels.models import AccountStatus
from townsquare.organisations.models import Organisation
from townsquare.organisations.selectors import organisations_visible_to
from townsquare.publishing.models import (
    Campaign,
    LanguageVersion,
    Post,
    PostState,
    PostTemplate,
    Variant,
    VariantState,
)
from townsquare.publishing.rules import composing_organisations


def posts_visible_to(user: Any) -> QuerySet[Post]:
    return Post.objects.filter(organisation__in=organisations_visible_to(user)).select_related(
        "organisation", "author", "campaign"
    )


def post_get_for_user(user: Any, post_id: Any) -> Post:
    try:
        return posts_visible_to(user).get(pk=int(post_id))
    except (Post.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such post") from exc


def post_with_versions(post: Post) -> list[LanguageVersion]:
    """The post's language versions with their variants, accounts and media, for display."""
    return list(
        post.versions.prefetch_related(
            "media",
            "accounts",
            Prefetch("variants", queryset=Variant.objects.select_related("account")),
        )
    )


def variant_get_for_user(user: Any, variant_id: Any) -> Variant:
    try:
        return Variant.objects.select_related("version__post__organisation", "account").get(
            pk=int(variant_id), version__post__in=posts_visible_to(user)
        )
    except (Variant.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such variant") from exc


def campaigns_visible_to(user: Any) -> QuerySet[Campaign]:
    return Campaign.objects.filter(organisation__in=organisations_visible_to(user))


def posts_in_period(user: Any, start: dt.datetime, end: dt.datetime) -> QuerySet[Post]:
    """Posts scheduled or published in [start, end): what the calendar shows."""
    scheduled = posts_visible_to(user).filter(scheduled_at__gte=start, scheduled_at__lt=end)
    return scheduled.exclude(state=PostState.DRAFT).order_by("scheduled_at", "pk")


def published_variants_of(organisation: Organisation, *, limit: int = 50) -> QuerySet[Variant]:
    """Public: what an agency published (for its page and feed on the citizen site).

    One row per language version (the first published variant of each), newest first;
    withdrawn posts and deleted copies are never shown.
    """
    return (
        Variant.objects.filter(
            version__post__organisation=organisation,
            state=VariantState.PUBLISHED,
            account__listed_publicly=True,
        )
        .exclude(version__post__state=PostState.WITHDRAWN)
        .exclude(account__status=AccountStatus.RETIRED)
        .select_related("version__post", "account")
        .order_by("-published_at", "-pk")[: limit * 3]
    )


def templates_for_composer(user: Any) -> QuerySet[PostTemplate]:
    """Templates of the organisations the user writes posts for."""
    return PostTemplate.objects.filter(organisation__in=composing_organisations(user))


def template_get_for_composer(user: Any, template_id: Any) -> PostTemplate | None:
    """The template to start a post from; none asked → None, anyone else's id → 404."""
    if not template_id:
        return None
    try:
        return templates_for_composer(user).select_related("organisation").get(
            pk=int(template_id))
    except (PostTemplate.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such template") from exc
