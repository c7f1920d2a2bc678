"""Render an agency's own feed as Atom 1.0 (RFC 4287) or RSS 2.0. Pure functions.

Entries are plain text. Everything written is XML-escaped, characters XML 1.0 forbids
(C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) are removed, each
entry carries its own ``xml:lang`` (en, ar, zh-Hans…) and dates are RFC 3339 in UTC
(RFC 822 in RSS, as that format requires). The portal serves the result (later).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

ATOM_NS = "http://www.w3.org/2005/Atom"
# Anything that is not a legal XML 1.0 character.
_ILLEGAL_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class FeedEntry:
    id: str  # a permanent, unique IRI, e.g. "tag:transport.gov.example,2026:post/42"
    title: str
    text: str
    url: str
    published: dt.datetime
    updated: dt.datetime | None = None
    language: str = ""  # "en", "ar", "zh-hans"…


@dataclass(frozen=True)
class FeedInfo:
    id: str
    title: str
    url: str  # the agency's page (rel="alternate")
    self_url: str  # where this feed is served (rel="self")
    author: str  # the agency's name
    language: str = "en"
    subtitle: str = ""


def clean_text(value: str) -> str:
    """Remove what XML 1.0 cannot carry and normalise line ends (CR LF / CR → LF)."""
    return _ILLEGAL_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _escape(value: str) -> str:
    return (
        clean_text(value)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def language_tag(value: str) -> str:
    """BCP 47 with conventional case: "zh-hans" → "zh-Hans", "AR" → "ar"; "" if invalid."""
    value = value.strip().replace("_", "-")
    if not value or not _LANGUAGE_TAG.match(value):
        return ""
    parts = value.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())  # script subtag
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())  # region subtag
        else:
            out.append(part.lower())
    return "-".join(out)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("feed dates must be timezone-aware")
    return value.astimezone(dt.UTC)


def rfc3339(value: dt.datetime) -> str:
    return _utc(value).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lang_attr(language: str) -> str:
    tag = language_tag(language)
    return f' xml:lang="{tag}"' if tag else ""


def render_atom(feed: FeedInfo, entries: Sequence[FeedEntry]) -> str:
    """An Atom 1.0 document (a ``str``; serve it UTF-8 as application/atom+xml)."""
    latest = max(
        (_utc(e.updated or e.published) for e in entries),
        default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    )
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM_NS}"{_lang_attr(feed.language)}>',
        f"  <id>{_escape(feed.id)}</id>",
        f'  <title type="text">{_escape(feed.title)}</title>',
    ]
    if feed.subtitle:
        out.append(f'  <subtitle type="text">{_escape(feed.subtitle)}</subtitle>')
    out += [
        f"  <updated>{rfc3339(latest)}</updated>",
        f'  <link rel="alternate" type="text/html" href="{_escape(feed.url)}"/>',
        f'  <link rel="self" type="application/atom+xml" href="{_escape(feed.self_url)}"/>',
        f"  <author><name>{_escape(feed.author)}</name></author>",
        "  <generator>Townsquare</generator>",
    ]
    for entry in entries:
        updated = entry.updated or entry.published
        out += [
            f"  <entry{_lang_attr(entry.language)}>",
            f"    <id>{_escape(entry.id)}</id>",
            f'    <title type="text">{_escape(entry.title)}</title>',
            f"    <published>{rfc3339(entry.published)}</published>",
            f"    <updated>{rfc3339(updated)}</updated>",
        ]
        if entry.url:
            out.append(f'    <link rel="alternate" type="text/html" href="{_escape(entry.url)}"/>')
        out += [
            f'    <content type="text">{_escape(entry.text)}</content>',
            "  </entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"


def render_rss(feed: FeedInfo, entries: Sequence[FeedEntry]) -> str:
    """An RSS 2.0 document. ``description`` is HTML by definition in RSS, so the plain
    text is HTML-escaped first (then XML-escaped): readers show "</script>" as text."""
    latest = max((_utc(e.updated or e.published) for e in entries), default=None)
    channel_lang = language_tag(feed.language)
    channel_description = _escape(html.escape(clean_text(feed.subtitle or feed.title)))
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
        "  <channel>",
        f"    <title>{_escape(feed.title)}</title>",
        f"    <link>{_escape(feed.url)}</link>",
        f"    <description>{channel_description}</description>",
        f'    <atom:link rel="self" type="application/rss+xml" href="{_escape(feed.self_url)}"/>',
        "    <generator>Townsquare</generator>",
    ]
    if channel_lang:
        out.append(f"    <language>{channel_lang}</language>")
    if latest is not None:
        out.append(
            f"    <lastBuildDate>{email.utils.format_datetime(latest, usegmt=True)}</lastBuildDate>"
        )
    for entry in entries:
        description = html.escape(clean_text(entry.text), quote=False)
        published = email.utils.format_datetime(_utc(entry.published), usegmt=True)
        permalink = "true" if entry.id == entry.url else "false"
        out += [
            f"    <item{_lang_attr(entry.language)}>",
            f"      <title>{_escape(entry.title)}</title>",
            f'      <guid isPermaLink="{permalink}">{_escape(entry.id)}</guid>',
        ]
        if entry.url:
            out.append(f"      <link>{_escape(entry.url)}</link>")
        out += [
            f"      <pubDate>{published}</pubDate>",
            f"      <description>{_escape(description)}</description>",
            "    </item>",
        ]
    out += ["  </channel>", "</rss>"]
    return "\n".join(out) + "\n"
