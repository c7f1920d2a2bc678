"""The per-agency media library: cleaned image and video files with alt text per language."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from townsquare.core.models import TimeStampedModel


class MediaKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")


class MediaAsset(TimeStampedModel):
    """One file in an agency's library. The bytes live on disk, addressed by their SHA-256."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="media_assets",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MediaKind.choices)
    # Of the stored (cleaned) bytes, not of what was uploaded: re-encoding changes them.
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    mime_type = models.CharField(_("type"), max_length=100)
    byte_size = models.PositiveBigIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration in seconds"), null=True, blank=True)
    original_filename = models.CharField(_("original file name"), max_length=255)
    # {"en": "...", "ar": "...", "zh-hans": "..."}; an empty or missing key means missing.
    alt_text = models.JSONField(_("alternative text"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_archived = models.BooleanField(_("archived"), default=False)

    # Not stored: set by media_upload when the same file was already in the agency's library.
    already_in_library: bool = False

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sha256"], name="media_asset_unique_per_organisation"
            )
        ]
        verbose_name = _("media file")
        verbose_name_plural = _("media files")

    def __str__(self) -> str:
        return self.original_filename

    @property
    def display_alt(self) -> str:
        """Alt text in the reader's language, falling back to English, for <img alt>."""
        texts = self.alt_text or {}
        return str(texts.get(get_language() or "en") or texts.get("en") or "")
