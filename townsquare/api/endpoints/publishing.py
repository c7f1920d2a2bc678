"""Posts and what each account published of them (read-only; scope read:publishing)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from townsquare.api.auth import TokenAuth
from townsquare.api.endpoints.organisations import ERRORS, MAX_ID
from townsquare.api.models import ApiScope
from townsquare.api.pagination import PageParams, paginate
from townsquare.organisations.selectors import organisation_get_for_user
from townsquare.publishing.models import LanguageVersion, Post, Variant
from townsquare.publishing.selectors import post_get_for_user, posts_visible_to

router = Router(tags=["publishing"])

READ = TokenAuth(ApiScope.READ_PUBLISHING)
StateName = Literal["draft", "in_review", "approved", "scheduled", "publishing", "published",
                    "partly_failed", "failed", "withdrawn"]


class PostOut(Schema):
    id: int
    organisation_id: int
    title: str
    state: str
    emergency: bool
    campaign: str | None = Field(description="The campaign's tag, if any.")
    languages: list[str]
    scheduled_at: dt.datetime | None
    scheduled_local: str | None = Field(
        description="The chosen wall time, YYYY-MM-DDTHH:MM, in scheduled_time_zone.")
    scheduled_time_zone: str
    published_at: dt.datetime | None
    plain_language_score: float | None
    content_version: int
    approved_version: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PostPage(Schema):
    items: list[PostOut]
    next_cursor: str | None


class VariantOut(Schema):
    id: int
    account_id: int
    network: str
    handle: str
    state: str
    parts: list[str]
    remote_ids: list[str]
    remote_url: str
    published_at: dt.datetime | None
    last_error: str


class VersionOut(Schema):
    language: str
    text: str
    variants: list[VariantOut]


class PostDetailOut(PostOut):
    versions: list[VersionOut]


class PostFilter(Schema):
    state: StateName | None = None
    organisation_id: int | None = Field(None, ge=1, le=MAX_ID,
                                        description="This organisation and those within it.")


def post_out(post: Post) -> dict[str, Any]:
    local = (f"{post.scheduled_date:%Y-%m-%d}T{post.scheduled_time:%H:%M}"
             if post.scheduled_date and post.scheduled_time else None)
    return {
        "id": post.pk, "organisation_id": post.organisation_id, "title": post.title,
        "state": post.state, "emergency": post.emergency,
        "campaign": post.campaign.tag if post.campaign else None,
        "languages": [v.language for v in post.versions.all()],
        "scheduled_at": post.scheduled_at, "scheduled_local": local,
        "scheduled_time_zone": post.scheduled_time_zone, "published_at": post.published_at,
        "plain_language_score": post.plain_language_score,
        "content_version": post.content_version, "approved_version": post.approved_version,
        "created_at": post.created_at, "updated_at": post.updated_at,
    }


def variant_out(variant: Variant) -> dict[str, Any]:
    return {
        "id": variant.pk, "account_id": variant.account_id,
        "network": variant.account.network, "handle": variant.account.handle,
        "state": variant.state, "parts": list(variant.parts),
        "remote_ids": [str(r) for r in variant.remote_ids or []],
        "remote_url": variant.remote_url, "published_at": variant.published_at,
        "last_error": variant.last_error,
    }


@router.get("/posts", response={200: PostPage, **ERRORS}, auth=READ)
def list_posts(request: HttpRequest, filters: Query[PostFilter], page: Query[PageParams]) -> Any:
    """Posts of the organisations the token's user can see, newest first."""
    posts = posts_visible_to(request.user).prefetch_related(
        Prefetch("versions", queryset=LanguageVersion.objects.only("post_id", "language")))
    if filters.organisation_id is not None:
        organisation = organisation_get_for_user(request.user, filters.organisation_id)
        posts = posts.filter(organisation__path__startswith=organisation.path)
    if filters.state:
        posts = posts.filter(state=filters.state)
    return paginate(posts, page, post_out, newest_first=True)


@router.get("/posts/{post_id}", response={200: PostDetailOut, **ERRORS}, auth=READ)
def get_post(request: HttpRequest, post_id: int) -> Any:
    """One post with its language versions and what each account published."""
    if not 0 < post_id <= MAX_ID:
        raise Http404
    post = post_get_for_user(request.user, post_id)
    versions = list(post.versions.prefetch_related(
        Prefetch("variants", queryset=Variant.objects.select_related("account"))))
    return {**post_out(post), "versions": [
        {"language": v.language, "text": v.text,
         "variants": [variant_out(x) for x in v.variants.all()]} for v in versions]}
