"""Hands every published variant, its corrections and its withdrawal to the records archive.

Runs in a background task after the change is committed, so a slow archive never holds up
publishing; capturing is idempotent, so a retried task adds nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from townsquare.archive.models import RecordType
from townsquare.archive.services.records import record_capture, record_mark_deleted
from townsquare.media.selectors import asset_content
from townsquare.publishing.models import Variant, VariantState

SOURCE = "publishing.variant"


def _metadata(variant: Variant) -> dict[str, Any]:
    post = variant.version.post
    return {
        "post_id": post.pk,
        "language": variant.version.language,
        "emergency": post.emergency,
        "remote_ids": list(variant.remote_ids),
        "parts": len(variant.parts),
        "author": post.author.get_username() if post.author else "",
    }


def variant_archive(*, variant_id: int) -> str:
    """Capture what the variant says now on its network; returns what was done."""
    variant = (
        Variant.objects.select_related("version__post__author", "account__organisation")
        .filter(pk=variant_id)
        .first()
    )
    if variant is None or variant.state not in (VariantState.PUBLISHED, VariantState.DELETED):
        return "skipped"
    account = variant.account
    common: dict[str, Any] = {
        "source": SOURCE,
        "source_id": str(variant.pk),
        "organisation": account.organisation,
        "record_type": RecordType.PUBLISHED_POST,
        "network": account.network,
        "account_handle": account.handle,
        "remote_id": variant.remote_ids[0] if variant.remote_ids else "",
        "url": variant.remote_url,
    }
    if variant.state == VariantState.DELETED:
        record_mark_deleted(**common, occurred_at=variant.updated_at,
                            reason="withdrawn through Townsquare")
        return "deleted"
    media = [(asset_content(asset), asset.mime_type) for asset in variant.version.media.all()]
    record_capture(
        **common,
        content="\n\n".join(variant.parts),
        metadata=_metadata(variant),
        media=media,
        network_time=variant.updated_at or timezone.now(),
        author=variant.version.post.author.get_username() if variant.version.post.author else "",
        remote_created_at=variant.published_at,
    )
    return "captured"


def variant_archive_after_commit(variant_id: int) -> None:
    from townsquare.publishing.tasks import archive_variant

    transaction.on_commit(lambda: archive_variant(variant_id))
