"""A small Mastodon-like network: accounts, tokens, statuses, media and notifications.

Ids are the primary keys, sent as strings like Mastodon's; they only grow, which the
notification cursors (since_id/min_id/max_id) rely on.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SandboxAccount(models.Model):
    username = models.CharField(_("user name"), max_length=30, unique=True)
    display_name = models.CharField(_("display name"), max_length=100)
    is_agency = models.BooleanField(_("agency account"), default=False)
    # The demo organisation this account belongs to (empty for citizens).
    agency_slug = models.SlugField(_("organisation"), max_length=80, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    bio = models.TextField(_("bio"), blank=True)
    followers = models.PositiveIntegerField(_("followers"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["username"]
        verbose_name = _("sandbox account")
        verbose_name_plural = _("sandbox accounts")

    def __str__(self) -> str:
        return f"@{self.username}"


class SandboxOAuthApp(models.Model):
    name = models.CharField(_("name"), max_length=100)
    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    client_secret_hash = models.CharField(_("client secret (hashed)"), max_length=64)
    redirect_uris = models.TextField(_("redirect URIs"))
    scopes = models.CharField(_("scopes"), max_length=200, default="read write")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("sandbox OAuth app")
        verbose_name_plural = _("sandbox OAuth apps")

    def __str__(self) -> str:
        return self.name


class SandboxToken(models.Model):
    # SHA-256 of the bearer token: the token itself is shown once and never stored.
    token_hash = models.CharField(_("token (hashed)"), max_length=64, unique=True)
    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="tokens")
    app = models.ForeignKey(SandboxOAuthApp, null=True, blank=True, on_delete=models.CASCADE)
    scopes = models.CharField(_("scopes"), max_length=200, default="read write")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox token")
        verbose_name_plural = _("sandbox tokens")

    def __str__(self) -> str:
        return f"token of @{self.account.username}"


class SandboxAuthorizationCode(models.Model):
    code_hash = models.CharField(_("code (hashed)"), max_length=64, unique=True)
    app = models.ForeignKey(SandboxOAuthApp, on_delete=models.CASCADE)
    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE)
    redirect_uri = models.TextField(_("redirect URI"))
    scopes = models.CharField(_("scopes"), max_length=200)
    code_challenge = models.CharField(_("PKCE challenge"), max_length=128, blank=True)
    code_challenge_method = models.CharField(_("PKCE method"), max_length=10, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox authorisation code")
        verbose_name_plural = _("sandbox authorisation codes")

    def __str__(self) -> str:
        return f"code for @{self.account.username}"


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    UNLISTED = "unlisted", _("Unlisted")
    PRIVATE = "private", _("Followers only")
    DIRECT = "direct", _("Direct message")


class SandboxStatus(models.Model):
    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="statuses")
    text = models.TextField(_("text"))
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    mentions = models.ManyToManyField(SandboxAccount, blank=True, related_name="mentioned_in")
    language = models.CharField(_("language"), max_length=10, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, blank=True)
    favourites_count = models.PositiveIntegerField(_("favourites"), default=0)
    reblogs_count = models.PositiveIntegerField(_("boosts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("sandbox status")
        verbose_name_plural = _("sandbox statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="sandbox_status_idempotency_key_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"status {self.pk} by @{self.account.username}"


class SandboxMedia(models.Model):
    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="media")
    status = models.ForeignKey(
        SandboxStatus, null=True, blank=True, on_delete=models.SET_NULL, related_name="media"
    )
    file = models.FileField(_("file"), upload_to="sandbox/%Y/%m/")
    mime_type = models.CharField(_("type"), max_length=100)
    description = models.TextField(_("description (alt text)"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("sandbox media")
        verbose_name_plural = _("sandbox media")

    def __str__(self) -> str:
        return f"media {self.pk}"


class SandboxNotification(models.Model):
    account = models.ForeignKey(
        SandboxAccount, on_delete=models.CASCADE, related_name="notifications"
    )
    type = models.CharField(_("type"), max_length=20, default="mention")
    status = models.ForeignKey(SandboxStatus, on_delete=models.CASCADE)
    from_account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("sandbox notification")
        verbose_name_plural = _("sandbox notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "status", "type"], name="sandbox_notification_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} for @{self.account.username}"
