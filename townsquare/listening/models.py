"""Saved listening queries, what they matched, spike alert rules and the alerts raised."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from townsquare.channels.models import NETWORK_CHOICES
from townsquare.core.models import TimeStampedModel

LANGUAGE_FILTER_CHOICES = [
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("zh", _("Chinese")),
]


class SavedQuery(TimeStampedModel):
    """A boolean keyword query an agency listens for (see ``listening.query``)."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="listening_queries",
    )
    name = models.CharField(_("name"), max_length=120)
    query = models.TextField(_("query"), max_length=1000)
    # Empty list: every language / every network.
    languages = models.JSONField(_("languages"), default=list, blank=True)
    networks = models.JSONField(_("networks"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Also ask networks' own search (costs API quota, so it is a choice per query).
    search_networks = models.BooleanField(_("search the networks too"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["organisation__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="listening_query_name")
        ]
        verbose_name = _("saved query")
        verbose_name_plural = _("saved queries")

    def __str__(self) -> str:
        return self.name


class MatchSource(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    SEARCH = "search", _("Network search")
    STREAM = "stream", _("Live stream")


class Match(models.Model):
    """One post a query matched. The text and its analysis are copied in so that a
    stream or a chart is one query, and search results (never stored by channels) live
    here too. One row per query and network post, however often it is seen."""

    query = models.ForeignKey(SavedQuery, on_delete=models.CASCADE, related_name="matches")
    item = models.ForeignKey(
        "channels.InboundItem", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(max_length=10, choices=MatchSource.choices)
    network = models.CharField(max_length=20, choices=NETWORK_CHOICES)
    remote_id = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    author_handle = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    matched_at = models.DateTimeField(db_index=True)
    language = models.CharField(max_length=16, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)  # negative / neutral / positive
    sentiment_score = models.FloatField(null=True, blank=True)
    topic = models.CharField(max_length=60, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    hashtags = models.JSONField(default=list, blank=True)
    mentions = models.JSONField(default=list, blank=True)
    urls = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-matched_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["query", "network", "remote_id"], name="listening_match_unique_post"
            ),
            models.UniqueConstraint(fields=["query", "item"], name="listening_match_unique_item"),
        ]
        indexes = [models.Index(fields=["query", "-matched_at"])]

    def __str__(self) -> str:
        return f"match of query {self.query_id}: {self.network}:{self.remote_id}"


class ListeningCursor(models.Model):
    """How far a background scan got (``inbox``: the last InboundItem id matched;
    ``search:<query>:<account>:<term>``: a network's search cursor)."""

    name = models.CharField(max_length=300, unique=True)
    position = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"listening cursor {self.name}"


class AlertKind(models.TextChoices):
    SPIKE = "spike", _("Spike in the last hour")
    EMERGING = "emerging", _("Emerging terms")
    RISE = "rise", _("Sustained rise")
    SENTIMENT = "sentiment", _("Negative sentiment shift")


def default_alert_kinds() -> list[str]:
    return [AlertKind.SPIKE.value]


class AlertRule(TimeStampedModel):
    """When to raise an alert on a query's volume, and whom to tell."""

    query = models.ForeignKey(SavedQuery, on_delete=models.CASCADE, related_name="alert_rules")
    active = models.BooleanField(_("active"), default=True)
    # A spike is at least this many matches in the hour ...
    min_count = models.PositiveIntegerField(_("minimum matches in an hour"), default=10)
    # ... and this many robust deviations above the usual count for this hour of the week.
    threshold = models.FloatField(_("sensitivity (deviations above usual)"), default=4.0)
    baseline_weeks = models.PositiveIntegerField(_("weeks of history to compare"), default=4)
    notify_console = models.BooleanField(_("notify staff in the console"), default=True)
    email_to = models.TextField(_("email addresses"), blank=True, max_length=2000)
    webhook_url = models.URLField(_("webhook address"), blank=True, max_length=500)
    webhook_secret = models.CharField(_("webhook signing secret"), blank=True, max_length=200)
    # Which detections raise alerts (AlertKind values); spikes only for older rules.
    kinds = models.JSONField(_("alert on"), default=default_alert_kinds, blank=True)

    class Meta:
        ordering = ["query", "pk"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return f"alert rule {self.pk} of {self.query}"

    def email_list(self) -> list[str]:
        return [a.strip() for a in self.email_to.replace(";", ",").split(",") if a.strip()]


class AlertEvent(models.Model):
    """One spike or trend of one rule: one row per rule, kind and period however often it
    is checked."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField()
    expected = models.FloatField()
    kind = models.CharField(max_length=10, choices=AlertKind.choices, default=AlertKind.SPIKE)
    # What a trend alert found (terms, weekly volumes, shares), for its text and webhook.
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    webhook_state = models.CharField(max_length=10, blank=True)  # "", pending, sent, failed
    webhook_attempts = models.PositiveIntegerField(default=0)
    webhook_error = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    noted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    noted_at = models.DateTimeField(null=True, blank=True)
    # The inbox conversation this alert was handed to (one per alert; the link lives
    # here so the inbox needs no knowledge of listening).
    conversation = models.OneToOneField(
        "inbox.Conversation", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-window_start", "-id"]
        constraints = [
            # window_start is the period: the clock hour (spikes, emerging terms) or
            # the day (sustained rise, sentiment shift).
            models.UniqueConstraint(fields=["rule", "kind", "window_start"],
                                    name="listening_alert_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"alert of rule {self.rule_id} at {self.window_start:%Y-%m-%d %H:%M}"


class FeedState(models.TextChoices):
    NEW = "new", _("Not read yet")
    OK = "ok", _("Working")
    FAILING = "failing", _("Failing")


class Feed(TimeStampedModel):
    """An RSS or Atom news feed an agency listens to.

    Its entries are stored as inbound items of a registry account of network ``rss``
    that belongs to the feed (created with it, not listed publicly), through the ingest
    pipeline, so the agency's queries match them like anything else that comes in.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name=_("organisation"),
        on_delete=models.PROTECT, related_name="listening_feeds",
    )
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("feed address"), max_length=500)
    language = models.CharField(_("language"), max_length=16, blank=True)
    poll_minutes = models.PositiveIntegerField(_("read every (minutes)"), default=30)
    active = models.BooleanField(_("active"), default=True)
    account = models.OneToOneField(
        "channels.Account", on_delete=models.PROTECT, related_name="listening_feed"
    )
    state = models.CharField(max_length=10, choices=FeedState.choices, default=FeedState.NEW)
    # A code (see services.feeds.FEED_ERRORS) and the technical detail of the last failure.
    error_code = models.CharField(max_length=30, blank=True)
    error_detail = models.CharField(max_length=300, blank=True)
    failures = models.PositiveIntegerField(default=0)
    cursor = models.TextField(blank=True)  # the reader's: ETag, Last-Modified, ids seen
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_new_items = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["organisation__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "url"], name="listening_feed_url")
        ]
        verbose_name = _("news feed")
        verbose_name_plural = _("news feeds")

    def __str__(self) -> str:
        return self.name


class StreamStatus(models.TextChoices):
    NEW = "new", _("Not connected yet")
    OK = "ok", _("Working")
    FAILING = "failing", _("Failing")


class StreamState(models.Model):
    """How listening reads one connected account's live stream (see services.streams):
    one row per account, also the lease that keeps two workers off the same stream."""

    account = models.OneToOneField(
        "channels.Account", on_delete=models.CASCADE, related_name="listening_stream"
    )
    state = models.CharField(max_length=10, choices=StreamStatus.choices,
                             default=StreamStatus.NEW)
    # A code (see services.streams.STREAM_ERRORS) and the technical detail of the failure.
    error_code = models.CharField(max_length=30, blank=True)
    error_detail = models.CharField(max_length=300, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_connected_at = models.DateTimeField(null=True, blank=True)
    last_item_at = models.DateTimeField(null=True, blank=True)
    last_run_items = models.PositiveIntegerField(default=0)
    last_run_skipped = models.PositiveIntegerField(default=0)  # lines it could not use
    last_run_ended = models.CharField(max_length=20, blank=True)  # closed / dropped / timeout
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Held while a worker reads the stream; a crashed worker's lease simply runs out.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("live stream")
        verbose_name_plural = _("live streams")

    def __str__(self) -> str:
        return f"live stream of account {self.account_id}"
