"""What citizens see of publishing: an agency's published posts, on its page and as feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_page

from townsquare.channels.adapters.rss.feed_writer import (
    FeedEntry,
    FeedInfo,
    render_atom,
    render_rss,
)
from townsquare.organisations.models import Organisation
from townsquare.organisations.selectors import public_organisations
from townsquare.publishing.selectors import published_variants_of

FEED_SIZE = 30


@dataclass(frozen=True)
class PublicPost:
    key: str  # "<post id>-<language>": one entry per language version
    language: str
    text: str
    url: str  # the copy on a network (the first account it was published to)
    published: datetime
    updated: datetime
    emergency: bool


def public_posts(organisation: Organisation, *, limit: int = FEED_SIZE) -> list[PublicPost]:
    seen: dict[str, PublicPost] = {}
    for variant in published_variants_of(organisation, limit=limit):
        version = variant.version
        key = f"{version.post_id}-{version.language}"
        if key in seen:
            continue
        seen[key] = PublicPost(
            key=key,
            language=version.language,
            text=version.text,
            url=variant.remote_url,
            published=variant.published_at or version.post.published_at or version.updated_at,
            updated=version.updated_at,
            emergency=version.post.emergency,
        )
        if len(seen) >= limit:
            break
    return list(seen.values())


def _feed(organisation: Organisation, kind: str) -> tuple[FeedInfo, list[FeedEntry]]:
    page = settings.SITE_URL + reverse("portal:organisation", args=[organisation.slug])
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    info = FeedInfo(
        id=f"tag:{host},2026:organisation/{organisation.slug}",
        title=str(organisation),
        url=page,
        self_url=settings.SITE_URL + reverse(f"portal:organisation_feed_{kind}",
                                             args=[organisation.slug]),
        author=str(organisation),
        language=organisation.default_language,
    )
    entries = [
        FeedEntry(
            id=f"tag:{host},2026:post/{post.key}",
            title=post.text.strip().splitlines()[0][:120] if post.text.strip() else "",
            text=post.text,
            url=post.url or page,
            published=post.published,
            updated=post.updated,
            language=post.language,
        )
        for post in public_posts(organisation)
    ]
    return info, entries


def _organisation(slug: str) -> Organisation:
    found = public_organisations().filter(slug=slug).first()
    if found is None:
        raise Http404("No such organisation")
    return found


@cache_page(60)
def organisation_feed_atom(request: HttpRequest, slug: str) -> HttpResponse:
    info, entries = _feed(_organisation(slug), "atom")
    return HttpResponse(render_atom(info, entries),
                        content_type="application/atom+xml; charset=utf-8")


@cache_page(60)
def organisation_feed_rss(request: HttpRequest, slug: str) -> HttpResponse:
    info, entries = _feed(_organisation(slug), "rss")
    return HttpResponse(render_rss(info, entries),
                        content_type="application/rss+xml; charset=utf-8")
