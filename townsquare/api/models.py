"""Personal access tokens for the REST API (only a hash of the secret is stored)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "tsq"  # noqa: S105 (the public marker of our tokens, not a secret)


class ApiScope(models.TextChoices):
    READ_ORGANISATIONS = "read:organisations", _("Read organisations, teams and roles")
    WRITE_ORGANISATIONS = "write:organisations", _("Add teams, grant and revoke roles")
    READ_PEOPLE = "read:people", _("Read staff names")
    READ_AUDIT = "read:audit", _("Read the audit log (administrators)")
    READ_CHANNELS = "read:channels", _("Read the registry of official accounts")
    READ_PUBLISHING = "read:publishing", _("Read posts and where they were published")
    READ_ARCHIVE = "read:archive", _("Search the records archive, read records and legal holds")
    WRITE_ARCHIVE = "write:archive", _("Place and release legal holds")


class ApiToken(models.Model):
    """A personal access token: ``tsq_<prefix>_<secret>``; the secret is kept as SHA-256."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # Shown in lists so people can tell their tokens apart; unique so a lookup is one row.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    expiry_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}_{self.prefix}_…)"

    @property
    def display_prefix(self) -> str:
        return f"{TOKEN_PREFIX}_{self.prefix}_"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired
