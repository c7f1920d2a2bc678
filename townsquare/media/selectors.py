"""Reads of the media library, scoped to the agencies the asking user may see."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from townsquare.media import storage
from townsquare.media.models import MediaAsset, MediaKind
from townsquare.organisations.selectors import organisations_visible_to

ALT_TEXT_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def assets_visible_to(user: Any) -> QuerySet[MediaAsset]:
    """Every asset (archived ones too) of the organisations the user may see."""
    return MediaAsset.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation", "uploaded_by")


def asset_get_for_user(user: Any, asset_id: Any) -> MediaAsset:
    try:
        return assets_visible_to(user).get(pk=int(asset_id))
    except (MediaAsset.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such media file") from exc


def asset_content(asset: MediaAsset) -> bytes:
    """The stored (cleaned) bytes. Callers must have loaded ``asset`` through a selector."""
    return storage.read(asset.sha256)


def assets_missing_alt_text(
    assets: QuerySet[MediaAsset], language: str = ""
) -> QuerySet[MediaAsset]:
    """Images without alt text in ``language`` (or in any of the three languages)."""
    languages = [language] if language else list(ALT_TEXT_LANGUAGES)
    missing = Q(pk__in=[])
    for code in languages:
        # Stored alt text is trimmed on the way in, so "" is the only blank value.
        missing |= Q(**{f"alt_text__{code}__isnull": True}) | Q(**{f"alt_text__{code}": ""})
    return assets.filter(missing, kind=MediaKind.IMAGE)
