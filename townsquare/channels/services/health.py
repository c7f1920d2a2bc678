"""Daily snapshots of each account's activity and audience, for health trends."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Count, Q
from django.utils import timezone

from townsquare.channels.adapters.base import AdapterError, AuthExpired
from townsquare.channels.adapters.registry import adapter_class
from townsquare.channels.health import citizen_messages, day_start, own_items
from townsquare.channels.models import Account, AccountMetricSnapshot, ConnectionState
from townsquare.channels.services.credentials import account_mark_access_problem, credentials_load

logger = logging.getLogger(__name__)


def account_followers_fetch(*, account: Account, now: dt.datetime | None = None) -> int | None:
    """Ask the network how many followers the account has; None when it cannot be asked.

    A refused token flags the account (as polling does); other failures are logged and
    skipped, so one network's trouble never stops the daily snapshots.
    """
    if account.connection_state != ConnectionState.CONNECTED:
        return None
    try:
        adapter = adapter_class(account.network)(
            credentials=credentials_load(account), config=account.config
        )
        profile = adapter.fetch_profile()
    except AuthExpired as exc:
        account_mark_access_problem(account=account, note=str(exc))
        return None
    except (AdapterError, ImportError, LookupError, ValueError) as exc:
        logger.warning("followers of account %s not fetched: %s", account.pk, type(exc).__name__)
        return None
    if profile.followers is None or profile.followers < 0:
        return None
    account.followers = profile.followers
    account.followers_checked_at = now or timezone.now()
    account.save(update_fields=["followers", "followers_checked_at", "updated_at"])
    return profile.followers


def account_snapshot_record(
    *, account: Account, day: dt.date | None = None, now: dt.datetime | None = None
) -> AccountMetricSnapshot:
    """Record (or bring up to date) the account's snapshot of ``day`` (today by default).

    Idempotent: running it again the same day updates the one row of that day.
    """
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    start, end = day_start(day), day_start(day + dt.timedelta(days=1))
    own = (
        own_items()
        .filter(Q(at__gte=start, at__lt=end), account=account)
        .aggregate(
            posts=Count("pk", filter=Q(to_citizen=False)),
            replies=Count("pk", filter=Q(to_citizen=True)),
        )
    )
    received = (
        citizen_messages()
        .filter(Q(at__gte=start, at__lt=end), account=account)
        .aggregate(total=Count("pk"), answered=Count("pk", filter=Q(is_answered=True)))
    )
    followers = account_followers_fetch(account=account, now=now)
    if followers is None and day == timezone.localdate(now):
        followers = account.followers  # the last count we have, if any
    snapshot, _created = AccountMetricSnapshot.objects.update_or_create(
        account=account,
        day=day,
        defaults={
            "followers": followers,
            "posts": own["posts"],
            "replies": own["replies"],
            "citizen_messages": received["total"],
            "answered": received["answered"],
        },
    )
    return snapshot
