"""The official account registry, encrypted credentials and everything that comes in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from townsquare.channels.adapters.base import ItemKind, Network
from townsquare.core.models import TimeStampedModel

NETWORK_LABELS = {
    Network.MASTODON: _("Mastodon"),
    Network.BLUESKY: _("Bluesky"),
    Network.X: _("X"),
    Network.FACEBOOK: _("Facebook"),
    Network.INSTAGRAM: _("Instagram"),
    Network.TELEGRAM: _("Telegram"),
    Network.WHATSAPP: _("WhatsApp"),
    Network.WEIBO: _("Weibo"),
    Network.WECHAT: _("WeChat"),
    Network.RSS: _("RSS/Atom feed"),
    Network.EMAIL: _("Email"),
    Network.SMS: _("SMS"),
}
NETWORK_CHOICES = [(n.value, label) for n, label in NETWORK_LABELS.items()]


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    UNDER_REVIEW = "under_review", _("Under review")
    RETIRED = "retired", _("Retired")


class ConnectionState(models.TextChoices):
    NOT_CONNECTED = "not_connected", _("Not connected")
    CONNECTED = "connected", _("Connected")
    EXPIRED = "expired", _("Access expired")
    REVOKED = "revoked", _("Access revoked")
    ERROR = "error", _("Error")


class Account(TimeStampedModel):
    """One account an organisation holds on one network."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("owning organisation"),
        on_delete=models.PROTECT,
        related_name="channel_accounts",
    )
    network = models.CharField(_("network"), max_length=20, choices=NETWORK_CHOICES)
    handle = models.CharField(_("handle"), max_length=200)
    # Lower-cased, without a leading "@": what makes two registrations the same account.
    handle_key = models.CharField(max_length=200, editable=False)
    url = models.URLField(_("address"), blank=True, max_length=500)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responsible_for_accounts",
    )
    purpose = models.TextField(_("purpose"), blank=True, max_length=1000)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    connection_state = models.CharField(
        _("connection"),
        max_length=20,
        choices=ConnectionState.choices,
        default=ConnectionState.NOT_CONNECTED,
    )
    # Why the connection is not working, in words for staff (never a token).
    connection_note = models.CharField(_("connection note"), max_length=300, blank=True)
    # Non-secret settings of the adapter (API address, page id…); secrets live in Credential.
    config = models.JSONField(_("settings"), default=dict, blank=True)
    remote_id = models.CharField(_("id on the network"), max_length=200, blank=True)
    last_confirmed_at = models.DateTimeField(_("ownership last confirmed"), null=True, blank=True)
    review_due_at = models.DateTimeField(_("ownership review due"), null=True, blank=True)
    followers = models.PositiveIntegerField(_("followers"), null=True, blank=True)
    followers_checked_at = models.DateTimeField(null=True, blank=True)
    listed_publicly = models.BooleanField(_("listed in the public directory"), default=True)
    # Handle, names and address of the account and of its organisation in every language,
    # normalised (search_text.py) so the public directory is one database query. Written
    # by the account services; organisation renames are caught up by a periodic task.
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = ["organisation__path", "network", "handle_key"]
        constraints = [
            models.UniqueConstraint(fields=["network", "handle_key"], name="account_unique_handle")
        ]
        indexes = [models.Index(fields=["status", "review_due_at"])]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return f"{self.handle} ({self.get_network_display()})"


class Credential(TimeStampedModel):
    """Encrypted tokens of one account. ``version`` guards refresh-token rotation."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="credential")
    ciphertext = models.TextField()
    expires_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:  # never the tokens
        return f"credentials of account {self.account_id} (v{self.version})"


class OAuthState(models.Model):
    """One pending OAuth connection: state and PKCE verifier, single use, short-lived."""

    state = models.CharField(max_length=64, unique=True)
    code_verifier_ciphertext = models.TextField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"oauth state for account {self.account_id}"


class WebhookDelivery(models.Model):
    """The raw body of every webhook call, stored before anything else is done with it."""

    network = models.CharField(max_length=20, choices=NETWORK_CHOICES)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    body = models.BinaryField()
    headers = models.JSONField(default=dict)
    query = models.JSONField(default=dict)
    verified = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    changes = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.network} webhook {self.pk}"


class ItemState(models.TextChoices):
    ACTIVE = "active", _("Active")
    EDITED = "edited", _("Edited")
    DELETED = "deleted", _("Deleted on the network")


class InboundItem(models.Model):
    """Something a citizen (or the account itself) wrote, as captured from the network.

    Exactly one row per network + remote id, whichever way it arrived and however often.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="inbound_items")
    network = models.CharField(max_length=20, choices=NETWORK_CHOICES)
    remote_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in ItemKind])
    text = models.TextField(blank=True)
    author_id = models.CharField(max_length=200, blank=True)
    author_handle = models.CharField(max_length=200, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    in_reply_to = models.CharField(max_length=200, blank=True)
    conversation_id = models.CharField(max_length=200, blank=True)
    is_own = models.BooleanField(default=False)
    language = models.CharField(max_length=16, blank=True)
    raw = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=ItemState.choices, default=ItemState.ACTIVE)
    # False for a tombstone: a deletion or edit that arrived before the item itself.
    has_content = models.BooleanField(default=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    # Time of the newest change applied, so an older edit arriving late cannot win.
    last_change_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True, db_index=True)
    first_seen_via = models.CharField(max_length=10)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-first_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["network", "remote_id"], name="inbound_unique_remote")
        ]
        indexes = [models.Index(fields=["account", "-first_seen_at"])]

    def __str__(self) -> str:
        return f"{self.network}:{self.remote_id}"


class PollCursor(models.Model):
    """Where polling of one account's stream got to; survives restarts."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="cursors")
    stream = models.CharField(max_length=40, default="inbound")
    cursor = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    not_before = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    gap_detected_at = models.DateTimeField(null=True, blank=True)
    gaps = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "stream"], name="cursor_unique_stream")
        ]

    def __str__(self) -> str:
        return f"cursor {self.stream} of account {self.account_id}"


class AccountMetricSnapshot(models.Model):
    """One day of an account's activity and audience, kept for trends (see channels.health).

    Counts are of that calendar day (in the installation's time zone); ``answered`` is how
    many of that day's citizen messages had an answer when the snapshot was last recorded.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="metric_snapshots"
    )
    day = models.DateField()
    # None when the network could not be asked (not connected, or it refused).
    followers = models.PositiveIntegerField(null=True, blank=True)
    posts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    citizen_messages = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="snapshot_unique_day")
        ]

    def __str__(self) -> str:
        return f"snapshot of account {self.account_id} on {self.day}"
