"""Background work of listening: thin wrappers around services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from townsquare.listening.models import AlertEvent
from townsquare.listening.services.alerts import alert_event_deliver, alert_webhook_send
from townsquare.listening.services.alerts import alert_rules_check as _check
from townsquare.listening.services.feeds import feeds_poll_due
from townsquare.listening.services.matching import inbox_catch_up, searching_queries_run
from townsquare.listening.services.streams import streams_read_due
from townsquare.listening.services.trends import trend_alerts_check

WEBHOOK_RETRIES = 5


@db_periodic_task(crontab(minute="*"))
def read_live_streams() -> None:
    """Every minute: a bounded window of each network stream that serves a query (no
    task lock: each account's stream has its own lease, so a run that overruns the
    minute keeps its streams and the next run reads only the free ones)."""
    streams_read_due()


@db_periodic_task(crontab(minute="*"))
def match_inbox_items() -> None:
    """Every minute: new inbox items against active queries, then spike checks."""
    inbox_catch_up()
    _check()


@db_periodic_task(crontab(minute="*/5"))
@lock_task("listening-trends")
def check_trends() -> None:
    """Every five minutes: emerging terms, sustained rises and sentiment shifts of the
    rules that watch them (at most one alert per rule, kind and period)."""
    trend_alerts_check()


@db_periodic_task(crontab(minute="*/5"))
def search_networks() -> None:
    """Every five minutes: networks' search for queries that asked for it."""
    searching_queries_run()


@db_periodic_task(crontab(minute="*"))
@lock_task("listening-news-feeds")
def read_news_feeds() -> None:
    """Every minute: the news feeds whose interval has come round (one run at a time, so
    a slow feed cannot make the next minute's run read it again)."""
    feeds_poll_due()


@db_task()
def deliver_alert(event_id: int) -> None:
    event = AlertEvent.objects.filter(pk=event_id).select_related(
        "rule__query__organisation").first()
    if event is not None:
        alert_event_deliver(event=event)


@db_task(retries=WEBHOOK_RETRIES, retry_delay=60, context=True)
def deliver_alert_webhook(event_id: int, task: object = None) -> None:
    event = AlertEvent.objects.filter(pk=event_id).select_related(
        "rule__query__organisation").first()
    if event is not None:
        final = getattr(task, "retries", 0) == 0
        alert_webhook_send(event=event, final_attempt=final)
