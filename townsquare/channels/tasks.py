"""Background work of the channels module: thin wrappers around services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from townsquare.channels.models import Account, AccountStatus, ConnectionState
from townsquare.channels.services.accounts import (
    accounts_flag_overdue_reviews,
    accounts_search_text_refresh,
)
from townsquare.channels.services.health import account_snapshot_record
from townsquare.channels.services.inbound import account_poll


@db_task()
def poll_account(account_id: int) -> None:
    account = Account.objects.filter(pk=account_id).select_related("organisation").first()
    if account is not None:
        account_poll(account=account)


@db_periodic_task(crontab(minute="*"))
def poll_connected_accounts() -> None:
    """Every minute: one poll task per connected account (each backs off on its own)."""
    ids = (
        Account.objects.filter(connection_state=ConnectionState.CONNECTED)
        .exclude(status=AccountStatus.RETIRED)
        .values_list("pk", flat=True)
    )
    for account_id in ids:
        poll_account(account_id)


@db_periodic_task(crontab(minute="15", hour="3"))
def flag_overdue_account_reviews() -> None:
    accounts_flag_overdue_reviews()


@db_task()
def snapshot_account(account_id: int) -> None:
    account = Account.objects.filter(pk=account_id).select_related("organisation").first()
    if account is not None:
        account_snapshot_record(account=account)


@db_periodic_task(crontab(minute="45", hour="23"))
def snapshot_accounts_daily() -> None:
    """Late each day: one snapshot task per account that is not retired (health trends)."""
    ids = Account.objects.exclude(status=AccountStatus.RETIRED).values_list("pk", flat=True)
    for account_id in ids:
        snapshot_account(account_id)


@db_periodic_task(crontab(minute="7"))
def refresh_directory_search_text() -> None:
    """Hourly: organisation renames reach the public directory's search (accounts' own
    changes are written at once by the account services)."""
    accounts_search_text_refresh()
