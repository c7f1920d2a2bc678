"""The dead-letter console's rules, reads and actions.

Who: administrators see the dead letters of their organisations (and those below);
the communications office sees every one, including those that name no known account.
Retry runs the raw bytes through the same pipeline again (useful once the cause is
gone: the account has been registered, the text limit raised); discard keeps the row and
its raw bytes and only marks it, because inbound messages are public records. Both are
audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.core.services import audit_record
from townsquare.ingest.enrichment import enrich_texts
from townsquare.ingest.models import Rejection, RejectionState
from townsquare.ingest.pipeline import batch_prepare, batch_store
from townsquare.organisations.models import Role, User
from townsquare.organisations.selectors import organisations_visible_to, roles_of, sees_everything

REASON_LABELS = {
    "invalid_utf8": gettext_lazy("Not valid UTF-8"),
    "lone_surrogate": gettext_lazy("Broken encoding (lone surrogate)"),
    "nul_character": gettext_lazy("Contains a NUL character"),
    "empty_text": gettext_lazy("Empty text"),
    "text_too_long": gettext_lazy("Text too long"),
    "malformed_json": gettext_lazy("Not valid JSON"),
    "not_an_object": gettext_lazy("Not a JSON object"),
    "missing_remote_id": gettext_lazy("No id on the network"),
    "missing_account": gettext_lazy("No account given"),
    "unknown_account": gettext_lazy("Unknown account"),
    "bad_field": gettext_lazy("A field has a wrong value"),
}


def reason_label(code: str) -> str:
    """The reader's-language name of a reason code (the code itself when unknown)."""
    return str(REASON_LABELS.get(code, code))


# Longest part of a raw payload shown on a page; the full bytes stay in the database.
SHOWN_BYTES = 20_000


def _administered_ids(user: Any) -> list[int]:
    return [o.pk for o in organisations_visible_to(user)
            if Role.ADMINISTRATOR in roles_of(user, o)]


def can_see_dead_letters(user: Any) -> bool:
    return sees_everything(user) or bool(_administered_ids(user))


def rejections_visible_to(user: Any) -> QuerySet[Rejection]:
    if sees_everything(user):
        return Rejection.objects.all()
    ids = _administered_ids(user)
    if not ids:
        return Rejection.objects.none()
    return Rejection.objects.filter(organisation_id__in=ids)


def rejection_get_for_user(user: Any, rejection_id: Any) -> Rejection:
    try:
        return rejections_visible_to(user).select_related("organisation", "resolved_by").get(
            pk=int(rejection_id)
        )
    except (Rejection.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such dead letter") from exc


def rejection_counts(rejections: QuerySet[Rejection]) -> list[tuple[str, int]]:
    """(reason, waiting dead letters) for every reason with any waiting, most first."""
    rows = (rejections.filter(state=RejectionState.OPEN).values("reason")
            .annotate(n=Count("id")).order_by("-n", "reason"))
    return [(row["reason"], row["n"]) for row in rows]


def shown_payload(raw: bytes) -> tuple[str, bool]:
    """The raw bytes as text a page can show safely, and whether it was cut short.

    Bytes that are not UTF-8 appear as ``\\xNN``; control, bidi and invisible format
    characters appear as ``\\uNNNN`` so a payload cannot reorder or hide the page's text.
    """
    cut = len(raw) > SHOWN_BYTES
    text = raw[:SHOWN_BYTES].decode("utf-8", errors="backslashreplace")
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\t":
            out.append(ch)
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or _invisible(ch):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out), cut


def _invisible(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch) in {"Cf", "Cs", "Co", "Zl", "Zp"}


@dataclass(frozen=True)
class RetryOutcome:
    stored: bool
    reason: str = ""  # the reason code when rejected again


def _check_open(rejection: Rejection) -> None:
    if rejection.state != RejectionState.OPEN:
        raise ValidationError(_("This dead letter has already been dealt with."), code="closed")


def rejection_retry(*, actor: User, rejection: Rejection) -> RetryOutcome:
    """Run the raw message through the pipeline again; stored (or already stored) closes
    the dead letter, rejected again keeps it waiting with the new reason."""
    with transaction.atomic():
        locked = rejections_visible_to(actor).select_for_update().filter(pk=rejection.pk).first()
        if locked is None:
            raise Http404("No such dead letter")
        _check_open(locked)
        prepared = batch_prepare([bytes(locked.raw)], source=locked.source,
                                 max_chars=settings.INGEST_MAX_TEXT_CHARS)
        if prepared.rejected:
            again = prepared.rejected[0]
            Rejection.objects.filter(pk=locked.pk).update(
                retries=F("retries") + 1, last_retry_reason=again.reason,
                detail=again.detail[:300],
            )
            outcome = RetryOutcome(stored=False, reason=again.reason)
        else:
            if prepared.to_enrich:
                values = enrich_texts([c.text for c in prepared.to_enrich])
                batch_store(prepared, values)
            Rejection.objects.filter(pk=locked.pk).update(
                state=RejectionState.RETRIED, retries=F("retries") + 1, last_retry_reason="",
                resolved_by=actor, resolved_at=timezone.now(),
            )
            outcome = RetryOutcome(stored=True)
        audit_record(actor=actor, action="ingest.rejection_retry",
                     organisation=locked.organisation, target=locked,
                     details={"reason": locked.reason, "stored": outcome.stored,
                              "rejected_again": outcome.reason})
    rejection.refresh_from_db()
    return outcome


def rejection_discard(*, actor: User, rejection: Rejection) -> None:
    """Mark a dead letter as dealt with, keeping it and its raw bytes."""
    with transaction.atomic():
        locked = rejections_visible_to(actor).select_for_update().filter(pk=rejection.pk).first()
        if locked is None:
            raise Http404("No such dead letter")
        _check_open(locked)
        Rejection.objects.filter(pk=locked.pk).update(
            state=RejectionState.DISCARDED, resolved_by=actor, resolved_at=timezone.now()
        )
        audit_record(actor=actor, action="ingest.rejection_discard",
                     organisation=locked.organisation, target=locked,
                     details={"reason": locked.reason})
    rejection.refresh_from_db()
