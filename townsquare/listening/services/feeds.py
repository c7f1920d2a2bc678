"""News feeds (RSS/Atom) as a listening source: add, change, read.

Reading uses the channels RSS reader (httpx with timeouts, a size limit enforced while
streaming, at most 5 redirects, conditional GET with ETag/Last-Modified, feedparser)
with one more guard: every request, redirects included, must go to a public address.
A feed address is typed by staff, so without the guard it could make the server fetch
from the internal network (cloud metadata, admin consoles). Loopback is allowed only
with ``LISTENING_FEEDS_ALLOW_LOOPBACK`` (tests and local demos).

New entries go through the ingest pipeline as items of the feed's own ``rss`` account,
so the agency's queries match them on the next inbox scan and they reach the archive
like every other inbound item. Failures are kept on the feed (a code the page explains
in the reader's language and the technical detail) and retried at the next interval.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.channels.adapters.base import (
    AdapterError,
    AuthExpired,
    Credentials,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    TransientError,
)
from townsquare.channels.adapters.rss.client import RssAdapter
from townsquare.channels.services.accounts import account_create
from townsquare.core.services import audit_record
from townsquare.ingest.runner import ingest_stream
from townsquare.listening.models import LANGUAGE_FILTER_CHOICES, Feed, FeedState
from townsquare.listening.services.queries import check_can_manage_queries
from townsquare.organisations.models import Organisation, User

logger = logging.getLogger(__name__)

MIN_MINUTES, MAX_MINUTES = 5, 1440
TIMEOUT = 10.0
MAX_BYTES = 5 * 1024 * 1024
MAX_FEEDS_PER_RUN = 50  # one run of the periodic task stays short; the rest wait a minute
MAX_BACKOFF_MINUTES = 24 * 60

FEED_ERRORS = {
    "not_a_feed": gettext_lazy("The address does not hold an RSS or Atom feed (it may be a "
                               "web page, or the XML is broken)."),
    "too_large": gettext_lazy("The feed is larger than 5 MB."),
    "redirect_loop": gettext_lazy("The address redirects too many times."),
    "timeout": gettext_lazy("The feed did not answer in time."),
    "unreachable": gettext_lazy("The feed's server could not be reached."),
    "refused": gettext_lazy("The feed's server refused the request (for example: not "
                            "found, or sign-in needed)."),
    "rate_limited": gettext_lazy("The feed's server asks us to read less often."),
    "private_address": gettext_lazy("The address points into a private network, which "
                                    "feeds may not use."),
    "invalid_address": gettext_lazy("The address is not a valid web address."),
}


class UnsafeAddress(AdapterError):
    """The feed (or a redirect) points at an address a feed may not use."""


def feed_error_text(code: str) -> str:
    return str(FEED_ERRORS.get(code, code))


# --- the address guard -------------------------------------------------------------------


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return bool(settings.LISTENING_FEEDS_ALLOW_LOOPBACK)
    return ip.is_global and not ip.is_multicast


def check_public_address(url: str) -> None:
    """Raise UnsafeAddress unless every address the host resolves to is public."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeAddress("not an http(s) address")
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise TransientError(f"rss: could not resolve {host}") from exc
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(_address_allowed(a) for a in addresses):
        raise UnsafeAddress(f"{host} resolves to a private or reserved address")


class _GuardedReader(RssAdapter):
    """The channels RSS reader whose HTTP client checks every request's address, so a
    redirect cannot lead it into a private network either."""

    def __init__(self, *, config: dict[str, Any]) -> None:
        super().__init__(credentials=Credentials(), config=config)
        headers = dict(self._http.headers)
        timeout = self._http.timeout
        self._http.close()

        def guard(request: httpx.Request) -> None:
            check_public_address(str(request.url))

        self._http = httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5,
                                  headers=headers, event_hooks={"request": [guard]})


def _error_code(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, UnsafeAddress):
        return "private_address"
    if isinstance(exc, MalformedResponse):
        if "larger than" in text:
            return "too_large"
        if "redirects" in text:
            return "redirect_loop"
        return "not_a_feed"
    if isinstance(exc, RateLimited):
        return "rate_limited"
    if isinstance(exc, RemoteRejected | AuthExpired):
        return "refused"
    if isinstance(exc, TransientError) and "in time" in text:
        return "timeout"
    return "unreachable"


# --- add and change ----------------------------------------------------------------------


def _clean(*, name: str, url: str, language: str, poll_minutes: int) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the feed a name.")]
    elif len(name) > 120:
        errors["name"] = [_("A name may be at most 120 characters long.")]
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
        if len(url) > 500:
            raise ValidationError("too long")
    except ValidationError:
        errors["url"] = [_("Enter the feed's full web address, starting with https://.")]
    if language and language not in {code for code, _label in LANGUAGE_FILTER_CHOICES}:
        errors["language"] = [_("Choose English, Arabic or Chinese, or leave it empty.")]
    if not MIN_MINUTES <= poll_minutes <= MAX_MINUTES:
        errors["poll_minutes"] = [
            _("Enter a number of minutes from %(low)s to %(high)s.")
            % {"low": MIN_MINUTES, "high": MAX_MINUTES}
        ]
    if errors:
        raise ValidationError(errors)
    return {"name": name, "url": url, "language": language, "poll_minutes": poll_minutes}


def feed_create(
    *, actor: User, organisation: Organisation, name: str, url: str, language: str = "",
    poll_minutes: int = 30,
) -> Feed:
    check_can_manage_queries(actor, organisation)
    values = _clean(name=name, url=url, language=language, poll_minutes=poll_minutes)
    if Feed.objects.filter(organisation=organisation, url=values["url"]).exists():
        raise ValidationError({"url": [_("This organisation already reads this feed.")]})
    try:
        with transaction.atomic():
            # The feed's own account: system-created (listening staff need not manage the
            # registry), kept out of the public list of official accounts.
            account = account_create(
                actor=None, organisation=organisation, network="rss",
                handle=f"{values['url']} ({organisation.slug})"[:200],
                url=values["url"], display_name=values["name"],
                purpose="News feed read by social listening", listed_publicly=False,
                config={"feed_url": values["url"], "timeout": TIMEOUT, "max_bytes": MAX_BYTES},
            )
            feed = Feed.objects.create(organisation=organisation, account=account,
                                       next_poll_at=timezone.now(), **values)
    except IntegrityError as exc:
        raise ValidationError({"url": [_("This organisation already reads this feed.")]}) from exc
    audit_record(actor=actor, action="listening.feed_create", organisation=organisation,
                 target=feed, details={"url": feed.url})
    return feed


def feed_update(
    *, actor: User, feed: Feed, name: str, url: str, language: str, poll_minutes: int,
    active: bool,
) -> Feed:
    check_can_manage_queries(actor, feed.organisation)
    values = _clean(name=name, url=url, language=language, poll_minutes=poll_minutes)
    if Feed.objects.filter(organisation=feed.organisation, url=values["url"]).exclude(
        pk=feed.pk
    ).exists():
        raise ValidationError({"url": [_("This organisation already reads this feed.")]})
    with transaction.atomic():
        if values["url"] != feed.url:
            feed.cursor = ""  # another feed: nothing of the old one's state applies
            feed.account.config = {**feed.account.config, "feed_url": values["url"]}
            feed.account.save(update_fields=["config"])
        for field, value in values.items():
            setattr(feed, field, value)
        feed.active = active
        feed.next_poll_at = timezone.now() if active else None
        feed.save()
        audit_record(actor=actor, action="listening.feed_update",
                     organisation=feed.organisation, target=feed,
                     details={"url": feed.url, "active": active})
    return feed


# --- reading -----------------------------------------------------------------------------


def _message(feed: Feed, item: Any) -> dict[str, Any]:
    return {
        "account_id": feed.account_id,
        # Two agencies may read the same feed: the item id is per feed, so each agency's
        # account holds its own copy and its queries see it.
        "remote_id": f"feed{feed.pk}:{item.remote_id}"[:200],
        "kind": "post",
        "text": item.text,
        "created_at": item.created_at.isoformat() if item.created_at else None,
        "author_id": item.author_id[:200],
        "author_handle": item.author_handle[:200],
        "author_name": item.author_name[:200],
        "url": item.url[:500],
        "language": (item.language or feed.language)[:16],
    }


def feed_poll(*, feed: Feed, now: dt.datetime | None = None) -> int:
    """Read the feed once; returns how many new entries were stored."""
    now = now or timezone.now()
    stored = 0
    try:
        check_public_address(feed.url)
        reader = _GuardedReader(config={"feed_url": feed.url, "timeout": TIMEOUT,
                                        "max_bytes": MAX_BYTES})
        try:
            result = reader.fetch_inbound(feed.cursor or None)
        finally:
            reader.close()
        if result.items:
            report = ingest_stream([_message(feed, i) for i in result.items],
                                   source=f"feed:{feed.pk}", workers=0)
            stored = report.result.stored
    except (AdapterError, ValueError) as exc:
        code = "invalid_address" if isinstance(exc, ValueError) else _error_code(exc)
        feed.failures += 1
        backoff = min(feed.poll_minutes * 2 ** min(feed.failures - 1, 6), MAX_BACKOFF_MINUTES)
        Feed.objects.filter(pk=feed.pk).update(
            state=FeedState.FAILING, error_code=code, error_detail=str(exc)[:300],
            failures=feed.failures, last_polled_at=now,
            next_poll_at=now + dt.timedelta(minutes=backoff),
        )
        logger.info("feed %s failed: %s", feed.pk, exc)
        feed.refresh_from_db()
        return 0
    # The cursor moves only after the entries are stored: a crash in between reads them
    # again, and the pipeline's dedupe absorbs the repeat.
    Feed.objects.filter(pk=feed.pk).update(
        state=FeedState.OK, error_code="", error_detail="", failures=0,
        cursor=result.cursor or "", last_polled_at=now, last_success_at=now,
        last_new_items=stored, next_poll_at=now + dt.timedelta(minutes=feed.poll_minutes),
    )
    feed.refresh_from_db()
    return stored


def feed_poll_now(*, actor: User, feed: Feed) -> int:
    check_can_manage_queries(actor, feed.organisation)
    audit_record(actor=actor, action="listening.feed_poll", organisation=feed.organisation,
                 target=feed)
    return feed_poll(feed=feed)


def feeds_poll_due(*, now: dt.datetime | None = None) -> int:
    """Read every active feed whose time has come (bounded per run)."""
    now = now or timezone.now()
    due = list(Feed.objects.filter(active=True, next_poll_at__lte=now)
               .select_related("organisation").order_by("next_poll_at")[:MAX_FEEDS_PER_RUN])
    for feed in due:
        feed_poll(feed=feed, now=now)
    return len(due)
