"""Every change to the media library: upload, alt text, archive. All audited."""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.channels.adapters.base import Capabilities, Network
from townsquare.channels.adapters.bluesky.text import grapheme_count
from townsquare.channels.models import NETWORK_LABELS
from townsquare.core.services import audit_record
from townsquare.core.text import INVISIBLE, validate_clean_text
from townsquare.media import inspection, storage
from townsquare.media.models import MediaAsset, MediaKind
from townsquare.organisations.models import Organisation, Role, User
from townsquare.organisations.selectors import roles_of

MANAGER_ROLES = {Role.ADMINISTRATOR, Role.EDITOR, Role.APPROVER}
ALT_TEXT_MAX = 2000
LANGUAGE_NAMES = {
    "en": gettext_lazy("English"),
    "ar": gettext_lazy("Arabic"),
    "zh-hans": gettext_lazy("Simplified Chinese"),
}
# Direction embeddings, overrides and isolates can reorder the text shown around the alt
# text (a "Trojan Source" trick). The marks (LRM, RLM, ALM) stay allowed: Arabic text that
# quotes Latin words or numbers needs them.
FORBIDDEN_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Pixel limits that a network documents but that Capabilities does not carry.
# Mastodon: instance configuration media_attachments.image_matrix_limit / video_matrix_limit.
NETWORK_MAX_PIXELS: dict[Network, dict[str, int]] = {
    Network.MASTODON: {MediaKind.IMAGE: 33_177_600, MediaKind.VIDEO: 8_294_400},
}


def can_manage_media(user: Any, organisation: Organisation) -> bool:
    return bool(roles_of(user, organisation) & MANAGER_ROLES)


def check_can_manage_media(user: User | None, organisation: Organisation) -> None:
    if user is None:  # the system itself (demo data, management commands)
        return
    if not can_manage_media(user, organisation):
        raise PermissionDenied


def clean_filename(filename: str) -> str:
    """Only for display: the last path part, without control or direction characters."""
    name = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        ch
        for ch in name
        if unicodedata.category(ch) not in ("Cc", "Cs")
        and ch not in FORBIDDEN_BIDI
        and ch not in INVISIBLE
    ).strip()
    return name[:255] or "upload"


def clean_alt_text(alt_text: dict[str, str]) -> dict[str, str]:
    """Alt text per language, trimmed; errors are keyed by language code."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for code, value in (alt_text or {}).items():
        if code not in LANGUAGE_NAMES:
            errors.setdefault(code, []).append(
                _("Alt text can be given in English, Arabic and Simplified Chinese only.")
            )
            continue
        text = unicodedata.normalize("NFC", str(value or "")).strip()
        try:
            validate_clean_text(text)
        except ValidationError as exc:
            errors.setdefault(code, []).extend(exc.messages)
            continue
        if any(ch in FORBIDDEN_BIDI for ch in text):
            errors.setdefault(code, []).append(
                _("Alt text cannot contain text-direction override or isolate characters.")
            )
        if len(text) > ALT_TEXT_MAX:
            errors.setdefault(code, []).append(
                _("Alt text can be at most %(max)d characters long (this one has %(count)d).")
                % {"max": ALT_TEXT_MAX, "count": len(text)}
            )
        if text:
            cleaned[code] = text
    if errors:
        raise ValidationError(errors)
    return cleaned


def _too_large(size: int, limit: int) -> ValidationError:
    return ValidationError(
        _("This file is too large (%(size)s). The limit is %(limit)s.")
        % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
        code="too_large",
    )


def inspect_upload_size(size: int) -> None:
    """The first check, on the announced size, before the upload is read at all."""
    largest = max(settings.MEDIA_MAX_IMAGE_BYTES, settings.MEDIA_MAX_VIDEO_BYTES)
    if size > largest:
        raise _too_large(size, largest)


def inspect_upload(content: bytes) -> inspection.CleanedFile:
    """Recognise, size-check and clean an upload. Raises ValidationError on anything bad."""
    inspect_upload_size(len(content))
    mime_type = inspection.sniff(content)
    if mime_type.startswith("image/"):
        if len(content) > settings.MEDIA_MAX_IMAGE_BYTES:
            raise _too_large(len(content), settings.MEDIA_MAX_IMAGE_BYTES)
        return inspection.clean_image(content, max_pixels=settings.MEDIA_MAX_PIXELS)
    if len(content) > settings.MEDIA_MAX_VIDEO_BYTES:
        raise _too_large(len(content), settings.MEDIA_MAX_VIDEO_BYTES)
    return inspection.check_video(content, mime_type)


def media_upload(
    *,
    user: User | None,
    organisation: Organisation,
    filename: str,
    content: bytes,
    alt_text: dict[str, str],
) -> MediaAsset:
    """Add a file to an agency's library; the same file again returns the existing asset."""
    check_can_manage_media(user, organisation)
    if not organisation.is_active:
        raise ValidationError(_("This organisation is closed: it cannot receive new files."))
    alt = clean_alt_text(alt_text)
    cleaned = inspect_upload(content)
    digest = hashlib.sha256(cleaned.content).hexdigest()
    existing = MediaAsset.objects.filter(organisation=organisation, sha256=digest).first()
    if existing is not None:
        return _existing(user=user, asset=existing)
    # Written before the row: a file without a row is harmless (and found again by its
    # hash on the next upload); a row without its file would not be.
    storage.store(cleaned.content)
    try:
        with transaction.atomic():
            asset = MediaAsset.objects.create(
                organisation=organisation,
                kind=cleaned.kind,
                sha256=digest,
                mime_type=cleaned.mime_type,
                byte_size=len(cleaned.content),
                width=cleaned.width,
                height=cleaned.height,
                duration_seconds=cleaned.duration_seconds,
                original_filename=clean_filename(filename),
                alt_text=alt,
                uploaded_by=user,
            )
            audit_record(
                actor=user,
                action="media.upload",
                organisation=organisation,
                target=asset,
                details={
                    "sha256": digest,
                    "mime_type": cleaned.mime_type,
                    "bytes_uploaded": len(content),
                    "bytes_stored": len(cleaned.content),
                },
            )
    except IntegrityError:
        # The same file arrived at the same moment through another request.
        existing = MediaAsset.objects.get(organisation=organisation, sha256=digest)
        return _existing(user=user, asset=existing)
    return asset


def _existing(*, user: User | None, asset: MediaAsset) -> MediaAsset:
    if asset.is_archived:
        asset = media_restore(user=user, asset=asset)
    asset.already_in_library = True
    return asset


@transaction.atomic
def media_alt_text_update(
    *, user: User | None, asset: MediaAsset, alt_text: dict[str, str]
) -> MediaAsset:
    """Replace the alt text of the languages given; a blank value removes that language."""
    check_can_manage_media(user, asset.organisation)
    cleaned = clean_alt_text(alt_text)
    before = dict(asset.alt_text or {})
    after = {k: v for k, v in before.items() if k not in alt_text}
    after.update(cleaned)
    if after == before:
        return asset
    asset.alt_text = after
    asset.save(update_fields=["alt_text", "updated_at"])
    audit_record(
        actor=user,
        action="media.alt_text",
        organisation=asset.organisation,
        target=asset,
        details={"languages": sorted(k for k in set(before) | set(after)
                                     if before.get(k) != after.get(k))},
    )
    return asset


@transaction.atomic
def media_archive(*, user: User | None, asset: MediaAsset) -> MediaAsset:
    """Hide the asset from the library and the composer. The file is kept (posts use it)."""
    check_can_manage_media(user, asset.organisation)
    if not asset.is_archived:
        asset.is_archived = True
        asset.save(update_fields=["is_archived", "updated_at"])
        audit_record(
            actor=user, action="media.archive", organisation=asset.organisation, target=asset
        )
    return asset


@transaction.atomic
def media_restore(*, user: User | None, asset: MediaAsset) -> MediaAsset:
    check_can_manage_media(user, asset.organisation)
    if asset.is_archived:
        asset.is_archived = False
        asset.save(update_fields=["is_archived", "updated_at"])
        audit_record(
            actor=user, action="media.restore", organisation=asset.organisation, target=asset
        )
    return asset


def _alt_length(network: Network, text: str) -> int:
    # Bluesky counts alt text in graphemes; the others count characters (code points).
    return grapheme_count(text) if network == Network.BLUESKY else len(text)


def media_problems_for(
    asset: MediaAsset, capabilities: Capabilities, *, language: str | None = None
) -> list[str]:
    """Why ``asset`` cannot go to that network as it is (empty: it can).

    ``language`` is the language of the post version the asset goes with (default: the
    installation's language); its alt text must be present.
    """
    network_name = NETWORK_LABELS.get(capabilities.network, str(capabilities.network))
    limit = capabilities.media
    if limit is None:
        return [_("%(network)s does not accept images or video.") % {"network": network_name}]
    problems: list[str] = []
    is_video = asset.kind == MediaKind.VIDEO
    max_bytes = limit.max_video_bytes if is_video else limit.max_image_bytes
    if asset.mime_type not in limit.mime_types or max_bytes <= 0:
        problems.append(
            _("%(network)s does not accept this type of file (%(type)s).")
            % {"network": network_name, "type": asset.mime_type}
        )
    elif asset.byte_size > max_bytes:
        problems.append(
            _("This file is too large for %(network)s (%(size)s; at most %(limit)s).")
            % {
                "network": network_name,
                "size": filesizeformat(asset.byte_size),
                "limit": filesizeformat(max_bytes),
            }
        )
    max_pixels = NETWORK_MAX_PIXELS.get(capabilities.network, {}).get(asset.kind)
    if max_pixels and asset.width and asset.height and asset.width * asset.height > max_pixels:
        problems.append(
            _("This file has too many pixels for %(network)s (at most %(pixels)s megapixels).")
            % {"network": network_name, "pixels": f"{max_pixels / 1_000_000:.1f}"}
        )
    if asset.kind == MediaKind.IMAGE:
        code = language or settings.LANGUAGE_CODE
        text = str((asset.alt_text or {}).get(code, ""))
        if not text.strip():
            problems.append(
                _("This image has no alt text in %(language)s.")
                % {"language": LANGUAGE_NAMES.get(code, code)}
            )
        elif limit.alt_text_max is not None and _alt_length(
            capabilities.network, text
        ) > limit.alt_text_max:
            problems.append(
                _("The %(language)s alt text is too long for %(network)s "
                  "(at most %(max)d characters).")
                % {
                    "language": LANGUAGE_NAMES.get(code, code),
                    "network": network_name,
                    "max": limit.alt_text_max,
                }
            )
    return problems
