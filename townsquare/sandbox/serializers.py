"""Sandbox objects as Mastodon's documented JSON entities (same keys as the fixtures)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.templatetags.static import static
from django.utils.html import escape

from townsquare.sandbox.models import SandboxAccount, SandboxMedia, SandboxStatus
from townsquare.sandbox.services import MAX_ALT_TEXT, MAX_CHARACTERS, MAX_MEDIA, MEDIA_TYPES

_TOKENS = re.compile(r"(https?://[^\s<>\"']+)|(?<![\w/@])@(\w{1,30})(?:@[\w.-]+)?", re.UNICODE)


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def account_json(account: SandboxAccount, base: str) -> dict[str, Any]:
    avatar = base.rstrip("/").rsplit("/sandbox", 1)[0] + static("townsquare/favicon.svg")
    last = account.statuses.filter(deleted_at__isnull=True).order_by("-id").first()
    return {
        "id": str(account.pk),
        "username": account.username,
        "acct": account.username,
        "display_name": account.display_name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": iso(account.created_at),
        "note": f"<p>{escape(account.bio)}</p>" if account.bio else "",
        "url": f"{base}@{account.username}",
        "uri": f"{base}users/{account.username}",
        "avatar": avatar,
        "avatar_static": avatar,
        "header": avatar,
        "header_static": avatar,
        "followers_count": account.followers,
        "following_count": 0,
        "statuses_count": account.statuses.filter(deleted_at__isnull=True).count(),
        "last_status_at": last.created_at.date().isoformat() if last else None,
        "hide_collections": False,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": [],
    }


def media_json(media: SandboxMedia, base: str) -> dict[str, Any]:
    url = f"{base}media/{media.pk}"
    return {
        "id": str(media.pk),
        "type": "video" if media.mime_type.startswith("video/") else "image",
        "url": url,
        "preview_url": url,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {},
        "description": media.description or None,
        "blurhash": None,
    }


def content_html(text: str, base: str, mentioned: set[str]) -> str:
    """Mastodon's formatting: paragraphs, <br />, links and mention h-cards."""

    def render(line: str) -> str:
        out: list[str] = []
        last = 0
        for match in _TOKENS.finditer(line):
            out.append(escape(line[last : match.start()]))
            url, name = match.group(1), match.group(2)
            if url:
                out.append(
                    f'<a href="{escape(url)}" rel="nofollow noopener" translate="no" '
                    f'target="_blank">{escape(url)}</a>'
                )
            elif name and name.lower() in mentioned:
                out.append(
                    f'<span class="h-card" translate="no"><a href="{base}@{escape(name)}" '
                    f'class="u-url mention">@<span>{escape(name)}</span></a></span>'
                )
            else:
                out.append(escape(match.group(0)))
            last = match.end()
        out.append(escape(line[last:]))
        return "".join(out)

    paragraphs = [p for p in re.split(r"\n{2,}", text) if p]
    return "".join(
        "<p>" + "<br />".join(render(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )


def status_json(status: SandboxStatus, base: str, *, with_source: bool = False) -> dict[str, Any]:
    mentions = list(status.mentions.all())
    reply_to = status.in_reply_to
    return {
        "id": str(status.pk),
        "uri": f"{base}users/{status.account.username}/statuses/{status.pk}",
        "created_at": iso(status.created_at),
        "edited_at": iso(status.edited_at),
        "account": account_json(status.account, base),
        "content": content_html(status.text, base, {a.username for a in mentions}),
        "visibility": status.visibility,
        "sensitive": False,
        "spoiler_text": "",
        "media_attachments": [media_json(m, base) for m in status.media.all()],
        "application": {"name": "Sandbox", "website": None},
        "mentions": [
            {"id": str(a.pk), "username": a.username, "url": f"{base}@{a.username}",
             "acct": a.username}
            for a in mentions
        ],
        "tags": [],
        "emojis": [],
        "reblogs_count": status.reblogs_count,
        "favourites_count": status.favourites_count,
        "replies_count": status.replies.filter(deleted_at__isnull=True).count(),
        "url": f"{base}@{status.account.username}/{status.pk}",
        "in_reply_to_id": str(reply_to.pk) if reply_to else None,
        "in_reply_to_account_id": str(reply_to.account_id) if reply_to else None,
        "reblog": None,
        "poll": None,
        "card": None,
        "language": status.language or None,
        "text": status.text if with_source else None,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": False,
        "filtered": [],
    }


def notification_json(notification: Any, base: str) -> dict[str, Any]:
    return {
        "id": str(notification.pk),
        "type": notification.type,
        "created_at": iso(notification.created_at),
        "group_key": f"ungrouped-{notification.pk}",
        "account": account_json(notification.from_account, base),
        "status": status_json(notification.status, base),
    }


def instance_v2_json(base: str, domain: str) -> dict[str, Any]:
    return {
        "domain": domain,
        "title": "Townsquare sandbox",
        "version": "4.3.0",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A local sandbox network that speaks the Mastodon client API.",
        "usage": {"users": {"active_month": SandboxAccount.objects.count()}},
        "thumbnail": {"url": base.rstrip("/").rsplit("/sandbox", 1)[0]
                      + static("townsquare/favicon.svg")},
        "icon": [],
        "languages": ["en", "ar", "zh"],
        "configuration": {
            "urls": {"streaming": None, "status": None, "about": base, "privacy_policy": None,
                     "terms_of_service": None},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": MAX_CHARACTERS,
                "max_media_attachments": MAX_MEDIA,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": {
                "supported_mime_types": list(MEDIA_TYPES),
                "description_limit": MAX_ALT_TEXT,
                "image_size_limit": 16777216,
                "image_matrix_limit": 33177600,
                "video_size_limit": 103809024,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
            },
            "polls": {"max_options": 4, "max_characters_per_option": 50,
                      "min_expiration": 300, "max_expiration": 2629746},
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": False, "approval_required": True, "message": None,
                          "url": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": "", "account": None},
        "rules": [],
    }


def instance_v1_json(base: str, domain: str) -> dict[str, Any]:
    v2 = instance_v2_json(base, domain)
    configuration = {k: v2["configuration"][k]
                     for k in ("accounts", "statuses", "media_attachments", "polls")}
    return {
        "uri": domain,
        "title": v2["title"],
        "short_description": v2["description"],
        "description": "",
        "email": "",
        "version": v2["version"],
        "urls": {"streaming_api": ""},
        "stats": {"user_count": SandboxAccount.objects.count(),
                  "status_count": SandboxStatus.objects.filter(deleted_at__isnull=True).count(),
                  "domain_count": 0},
        "thumbnail": v2["thumbnail"]["url"],
        "languages": v2["languages"],
        "registrations": False,
        "approval_required": True,
        "invites_enabled": False,
        "configuration": configuration,
        "contact_account": None,
        "rules": [],
    }
