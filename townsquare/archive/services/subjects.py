"""Data-subject requests: find everything held about a person, export it, or erase it.

Matching is scoped to the request's organisation and those below it, like everything a
records officer sees. The person is found through the identifiers staff were given:
tracking numbers of their conversations, network handles, an email address (contact form
identities, verified survey respondents, consultation opt-ins) and a phone number (phone,
SMS and WhatsApp identities, cases entered by staff). A contact found through any of them
brings all of its identities, so a person linked across several networks is found whole.

Erasure runs in one transaction. It locks the person's contacts first, which is the lock
the inbound pipeline takes before it adds a message (``contact_for_identity``), so a
message arriving during the erasure either is in the transaction's view and is erased,
or is stored afterwards under a new contact (the erased identity no longer matches).
The archive keeps its records (public-records law) with access restricted and the legal
basis logged in the chain; the chain therefore still verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from townsquare.archive.models import EventKind, Record, RecordEvent
from townsquare.archive.services.capture import INBOUND_SOURCE
from townsquare.archive.services.holds import holds_covering
from townsquare.archive.services.records import (
    _clean_text,
    check_can_manage_archive,
    record_restrict,
    versions_in_order,
)
from townsquare.archive.subject_models import (
    ErasureBasis,
    SubjectRequest,
    SubjectRequestKind,
    SubjectRequestStatus,
)
from townsquare.core.services import audit_record
from townsquare.organisations.models import Organisation

if TYPE_CHECKING:
    from townsquare.organisations.models import User

# What an erased citizen message says in the inbox from then on (stored data, so one
# fixed text rather than the language of whoever erased it).
ERASED_TEXT = "[Removed at the person's request]"
MAX_IDENTIFIERS = 20
PHONE_CHANNELS = ("phone", "sms", "whatsapp", "web", "service_centre")


# --- opening a request ----------------------------------------------------------------


def _split(value: str | Iterable[str]) -> list[str]:
    items = re.split(r"[\s,;]+", value) if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item and item.strip()]


def clean_identifiers(
    *, tracking_numbers: str | Iterable[str] = "", handles: str | Iterable[str] = "",
    email: str = "", phone: str = "",
) -> dict[str, Any]:
    """Cleaned identifiers, or ValidationError naming the field that cannot be read."""
    from townsquare.inbox.tracking import tracking_number_parse

    numbers: list[str] = []
    for raw in _split(tracking_numbers):
        number = tracking_number_parse(raw)
        if number is None:
            raise ValidationError({"tracking_numbers": _(
                "“%(value)s” is not a tracking number.") % {"value": raw[:40]}})
        numbers.append(number)
    cleaned_handles = [_clean_text(h, field="handles", max_length=200) for h in _split(handles)]
    email = _clean_text(email, field="email", max_length=254).strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": _("Enter an email address like name@example.org.")}
                                  ) from exc
    phone = _clean_text(phone, field="phone", max_length=40).strip()
    if phone and len(re.sub(r"\D", "", phone)) < 6:
        raise ValidationError({"phone": _("Enter a phone number with at least six digits.")})
    if len(numbers) > MAX_IDENTIFIERS or len(cleaned_handles) > MAX_IDENTIFIERS:
        raise ValidationError(_("Give at most %(max)d tracking numbers and %(max)d handles.")
                              % {"max": MAX_IDENTIFIERS})
    if not (numbers or cleaned_handles or email or phone):
        raise ValidationError(_("Give at least one way to identify the person: a tracking "
                                "number, a handle, an email address or a phone number."))
    return {"tracking_numbers": sorted(set(numbers)), "handles": sorted(set(cleaned_handles)),
            "email": email, "phone": phone}


def subject_request_open(
    *, actor: User, organisation: Organisation, kind: str, reference: str,
    tracking_numbers: str | Iterable[str] = "", handles: str | Iterable[str] = "",
    email: str = "", phone: str = "", legal_basis: str = "", legal_basis_note: str = "",
    now: dt.datetime | None = None,
) -> SubjectRequest:
    check_can_manage_archive(actor, organisation)
    if kind not in SubjectRequestKind.values:
        raise ValidationError({"kind": _("Choose access or erasure.")})
    reference = _clean_text(reference, field="reference", max_length=200, required=True).strip()
    identifiers = clean_identifiers(tracking_numbers=tracking_numbers, handles=handles,
                                    email=email, phone=phone)
    note = _clean_text(legal_basis_note, field="legal_basis_note", max_length=2000).strip()
    if kind == SubjectRequestKind.ERASURE:
        if legal_basis not in ErasureBasis.values:
            raise ValidationError({"legal_basis": _(
                "Choose the legal basis on which the archive keeps this person's records.")})
    else:
        legal_basis, note = "", ""
    opened = now or timezone.now()
    with transaction.atomic():
        request = SubjectRequest.objects.create(
            organisation=organisation, kind=kind, reference=reference, opened_by=actor,
            opened_at=opened,
            due_at=opened + dt.timedelta(days=settings.ARCHIVE_SUBJECT_REQUEST_DAYS),
            legal_basis=legal_basis, legal_basis_note=note, **identifiers,
        )
        audit_record(actor=actor, action="archive.subject_request_opened",
                     organisation=organisation, target=request,
                     details={"kind": kind, "reference": reference,
                              "legal_basis": legal_basis})
        if kind == SubjectRequestKind.ACCESS:
            request_id = request.pk
            transaction.on_commit(lambda: _enqueue_access(request_id))
    return request


def _enqueue_access(request_id: int) -> None:
    from townsquare.archive.tasks import build_subject_export

    build_subject_export(request_id)


# --- finding the person ---------------------------------------------------------------


@dataclass
class SubjectMatches:
    """What is held about the person within the request's organisations."""

    contacts: list[Any] = field(default_factory=list)
    identities: list[Any] = field(default_factory=list)
    conversations: list[Any] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)
    opt_ins: list[Any] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in (
            "contacts", "identities", "conversations", "messages", "items", "responses",
            "opt_ins", "records")}

    @property
    def is_empty(self) -> bool:
        return not any(self.counts().values())


def _subtree(request: SubjectRequest) -> QuerySet[Organisation]:
    return Organisation.objects.filter(path__startswith=request.organisation.path)


def _handle_forms(handle: str) -> set[str]:
    bare = handle.strip().lstrip("@").casefold()
    forms = {bare, f"@{bare}"}
    if "@" in bare:  # user@server: also the local part alone, as some networks show it
        forms |= {bare.split("@", 1)[0], "@" + bare.split("@", 1)[0]}
    return forms


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _matching_identities(request: SubjectRequest, *, lock: bool) -> list[Any]:
    from townsquare.inbox.models import Contact, ContactIdentity, Conversation

    subtree = _subtree(request)
    wanted = Q(pk__in=[])
    handles: set[str] = set()
    for handle in request.handles:
        handles |= _handle_forms(handle)
    if handles:
        wanted |= Q(handle__in=handles) | Q(remote_author_id__in=handles)
        for form in handles:
            wanted |= Q(handle__iexact=form)
            if "@" not in form.lstrip("@"):  # "@maya" also finds "@maya@any.server"
                wanted |= Q(handle__istartswith=f"@{form.lstrip('@')}@")
    if request.email:
        wanted |= Q(handle__iexact=request.email) | Q(remote_author_id__iexact=request.email)
    found = list(ContactIdentity.objects.filter(wanted).values_list("contact_id", flat=True))
    if request.phone:
        digits = _digits(request.phone)
        candidates = ContactIdentity.objects.filter(channel__in=PHONE_CHANNELS).filter(
            Q(handle__contains=digits[-6:]) | Q(remote_author_id__contains=digits[-6:]))
        found += [i.contact_id for i in candidates
                  if digits in (_digits(i.handle), _digits(i.remote_author_id))]
    if request.tracking_numbers:
        found += list(Conversation.objects.filter(
            tracking_number__in=request.tracking_numbers, organisation__in=subtree,
        ).values_list("contact_id", flat=True))
    contacts = Contact.objects.filter(pk__in=set(found)).order_by("pk")
    if lock:
        # The inbound pipeline locks a contact before adding its message: same lock order.
        contacts = contacts.select_for_update()
    contact_ids = [c.pk for c in contacts]
    return list(ContactIdentity.objects.filter(contact_id__in=contact_ids)
                .select_related("contact").order_by("contact_id", "pk"))


def subject_find(request: SubjectRequest, *, lock: bool = False) -> SubjectMatches:
    from townsquare.channels.models import InboundItem
    from townsquare.engagement.consultation_models import OptInNotification
    from townsquare.engagement.identity import keyed_hash
    from townsquare.engagement.models import RespondentMode, Response, Survey
    from townsquare.inbox.models import Conversation, Message

    subtree = _subtree(request)
    matches = SubjectMatches()
    matches.identities = _matching_identities(request, lock=lock)
    matches.contacts = list({i.contact_id: i.contact for i in matches.identities}.values())
    matches.conversations = list(Conversation.objects.filter(
        contact__in=[c.pk for c in matches.contacts], organisation__in=subtree,
    ).select_related("organisation").order_by("pk"))
    matches.messages = list(Message.objects.filter(
        conversation__in=[c.pk for c in matches.conversations]).order_by("conversation", "pk"))
    by_author = Q(pk__in=[m.source_item_id for m in matches.messages if m.source_item_id])
    for identity in matches.identities:
        by_author |= Q(network=identity.channel, author_id=identity.remote_author_id)
    for handle in request.handles:
        by_author |= Q(author_handle__in=_handle_forms(handle))
        if "@" not in handle.strip().lstrip("@"):
            by_author |= Q(author_handle__istartswith=f"@{handle.strip().lstrip('@')}@")
    items = InboundItem.objects.filter(by_author, account__organisation__in=subtree)
    if lock:
        items = items.select_for_update()
    matches.items = list(items.select_related("account").order_by("pk"))
    if request.email:
        surveys = Survey.objects.filter(organisation__in=subtree,
                                        respondent_mode=RespondentMode.VERIFIED)
        keys = [keyed_hash(f"respondent:{pk}", request.email)
                for pk in surveys.values_list("pk", flat=True)]
        matches.responses = list(Response.objects.filter(respondent_key__in=keys)
                                 .select_related("survey").prefetch_related("answers__question")
                                 .order_by("pk"))
        matches.opt_ins = list(OptInNotification.objects.filter(
            email__iexact=request.email, consultation__organisation__in=subtree)
            .select_related("consultation").order_by("pk"))
    by_record = Q(source=INBOUND_SOURCE,
                  source_id__in=[f"{i.network}:{i.remote_id}" for i in matches.items])
    for identity in matches.identities:
        by_record |= Q(network=identity.channel, author_id=identity.remote_author_id)
    for handle in request.handles:
        by_record |= Q(author__in=_handle_forms(handle))
    matches.records = list(Record.objects.filter(by_record, organisation__in=subtree)
                           .select_related("organisation").order_by("pk"))
    return matches


# --- access -------------------------------------------------------------------------


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _record_data(record: Record) -> dict[str, Any]:
    events = RecordEvent.objects.filter(record=record).order_by("pk")
    return {
        "id": record.pk, "organisation": str(record.organisation),
        "type": record.record_type, "network": record.network,
        "account": record.account_handle, "author": record.author, "url": record.url,
        "first_captured_at": _time(record.first_captured_at),
        "versions": [{"content": v.content, "captured_at": _time(v.captured_at),
                      "redacted_copy_of": v.redacts_id,
                      "disposed": v.disposed_at is not None}
                     for v in versions_in_order(record)],
        "events": [{"kind": e.kind, "at": _time(e.occurred_at), "reason": e.reason}
                   for e in events],
    }


def subject_export_data(request: SubjectRequest, matches: SubjectMatches) -> dict[str, Any]:
    """Everything held about the person, as plain JSON-able data."""
    return {
        "request": {"id": request.pk, "reference": request.reference,
                    "organisation": str(request.organisation),
                    "received": _time(request.opened_at),
                    "identifiers": {"tracking_numbers": request.tracking_numbers,
                                    "handles": request.handles, "email": request.email,
                                    "phone": request.phone}},
        "generated_at": _time(timezone.now()),
        "contacts": [{"id": c.pk, "name": c.display_name, "language": c.language,
                      "identities": [{"channel": i.channel, "id": i.remote_author_id,
                                      "handle": i.handle, "name": i.display_name}
                                     for i in matches.identities if i.contact_id == c.pk]}
                     for c in matches.contacts],
        "conversations": [{
            "tracking_number": c.tracking_number, "organisation": str(c.organisation),
            "channel": c.channel, "status": c.status, "opened": _time(c.created_at),
            "messages": [{"from": "person" if m.direction == "in" else "government",
                          "text": m.text, "at": _time(m.created_at)}
                         for m in matches.messages if m.conversation_id == c.pk],
        } for c in matches.conversations],
        "network_items": [{"network": i.network, "account": i.account.handle,
                           "id": i.remote_id, "kind": i.kind, "text": i.text,
                           "author": i.author_handle, "url": i.url,
                           "at": _time(i.remote_created_at), "state": i.state}
                          for i in matches.items],
        "survey_responses": [{
            "survey": r.survey.localised("title"), "submitted_at": _time(r.submitted_at),
            "answers": [{"question": a.question.localised("text"), "value": a.value}
                        for a in r.answers.all()],
        } for r in matches.responses],
        "survey_note": ("Responses given anonymously cannot be linked to a person and are "
                        "not included." if request.email else
                        "No email address was given, so no survey response could be linked."),
        "consultation_opt_ins": [{"consultation": o.consultation.localised("title"),
                                  "email": o.email, "at": _time(o.created_at)}
                                 for o in matches.opt_ins],
        "archive_records": [_record_data(r) for r in matches.records],
    }


def subject_export_path(request: SubjectRequest) -> Path:
    return Path(settings.ARCHIVE_SUBJECT_EXPORT_ROOT) / request.export_name


def subject_access_build(*, request: SubjectRequest) -> SubjectRequest:
    """Build the export zip (JSON and a readable HTML page); idempotent once completed."""
    with transaction.atomic():
        request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
        if request.kind != SubjectRequestKind.ACCESS or request.status == \
                SubjectRequestStatus.COMPLETED:
            return request
        request.status = SubjectRequestStatus.IN_PROGRESS
        request.save(update_fields=["status"])
    try:
        matches = subject_find(request)
        data = subject_export_data(request, matches)
        with translation.override(settings.LANGUAGE_CODE):
            page = render_to_string("archive/subject_export.html", {"data": data})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("subject.json", json.dumps(data, ensure_ascii=False, indent=2,
                                                        default=str))
            archive.writestr("subject.html", page)
        content = buffer.getvalue()
        name = f"subject-request-{request.pk}.zip"
        root = Path(settings.ARCHIVE_SUBJECT_EXPORT_ROOT)
        root.mkdir(parents=True, exist_ok=True)
        partial = root / f".{name}.partial"
        partial.write_bytes(content)
        partial.replace(root / name)  # atomic: a half-written file is never offered
    except Exception as exc:
        SubjectRequest.objects.filter(pk=request.pk).update(
            status=SubjectRequestStatus.FAILED, failure=str(exc)[:500])
        raise
    request.status = SubjectRequestStatus.COMPLETED
    request.completed_at = timezone.now()
    request.export_name = name
    request.export_sha256 = hashlib.sha256(content).hexdigest()
    request.summary = {"counts": matches.counts()}
    request.failure = ""
    request.save(update_fields=["status", "completed_at", "export_name", "export_sha256",
                                "summary", "failure"])
    audit_record(actor=None, action="archive.subject_export_built",
                 organisation=request.organisation, target=request,
                 details={"counts": matches.counts(), "sha256": request.export_sha256},
                 actor_label="system")
    return request


def subject_export_downloaded(*, actor: User, request: SubjectRequest) -> None:
    check_can_manage_archive(actor, request.organisation)
    audit_record(actor=actor, action="archive.subject_export_downloaded",
                 organisation=request.organisation, target=request)


def subject_access_retry(*, actor: User, request: SubjectRequest) -> None:
    check_can_manage_archive(actor, request.organisation)
    if request.kind != SubjectRequestKind.ACCESS or request.status != SubjectRequestStatus.FAILED:
        raise ValidationError(_("Only a failed export can be built again."))
    with transaction.atomic():
        SubjectRequest.objects.filter(pk=request.pk).update(
            status=SubjectRequestStatus.RECEIVED, failure="")
        audit_record(actor=actor, action="archive.subject_export_retried",
                     organisation=request.organisation, target=request)
        request_id = request.pk
        transaction.on_commit(lambda: _enqueue_access(request_id))


# --- erasure ------------------------------------------------------------------------


def _erase_live(request: SubjectRequest, matches: SubjectMatches) -> None:
    from townsquare.channels.models import InboundItem
    from townsquare.engagement.consultation_models import OptInNotification
    from townsquare.engagement.models import Response
    from townsquare.inbox.models import Contact, ContactIdentity, Direction, Message, Rating
    from townsquare.ingest.models import ItemEnrichment
    from townsquare.listening.models import Match

    contact_ids = [c.pk for c in matches.contacts]
    Contact.objects.filter(pk__in=contact_ids).update(display_name="", updated_at=timezone.now())
    for identity in matches.identities:
        # A new id frees the old one: a later message of the person is a new contact.
        ContactIdentity.objects.filter(pk=identity.pk).update(
            remote_author_id=f"erased:{identity.pk}", handle="", display_name="",
            link_reason="", updated_at=timezone.now())
    Message.objects.filter(
        pk__in=[m.pk for m in matches.messages if m.direction == Direction.INBOUND]
    ).update(text=ERASED_TEXT, remote_url="")
    Rating.objects.filter(conversation__in=[c.pk for c in matches.conversations]).update(
        comment="")
    item_ids = [i.pk for i in matches.items]
    # has_content=False also stops the archive's re-capture from storing the emptied text.
    InboundItem.objects.filter(pk__in=item_ids).update(
        text="", raw={}, author_id="", author_handle="", author_name="", url="",
        has_content=False)
    ItemEnrichment.objects.filter(item_id__in=item_ids).update(
        search_text="", keywords=[], hashtags=[], mentions=[], urls=[], flag_terms=[])
    Match.objects.filter(item_id__in=item_ids).update(text="", author_handle="", url="")
    Response.objects.filter(pk__in=[r.pk for r in matches.responses]).update(respondent_key="")
    OptInNotification.objects.filter(pk__in=[o.pk for o in matches.opt_ins]).delete()


def subject_erase(*, actor: User, request: SubjectRequest) -> SubjectRequest:
    """Carry out an erasure request; doing it again changes nothing."""
    check_can_manage_archive(actor, request.organisation)
    if request.kind != SubjectRequestKind.ERASURE:
        raise ValidationError(_("This is not an erasure request."))
    with transaction.atomic():
        request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == SubjectRequestStatus.COMPLETED:
            return request
        matches = subject_find(request, lock=True)
        _erase_live(request, matches)
        with translation.override(settings.LANGUAGE_CODE):
            # Logged in the chain once, in the installation's language, like the audit log.
            basis = str(ErasureBasis(request.legal_basis).label)
        reason = _clean_text(
            f"Data-subject erasure request {request.pk}: kept under “{basis}”"
            + (f" — {request.legal_basis_note}" if request.legal_basis_note else ""),
            field="legal_basis_note", max_length=2000)
        restricted = set(RecordEvent.objects.filter(
            record__in=matches.records, kind=EventKind.RESTRICTED,
        ).values_list("record_id", flat=True))
        newly = [r for r in matches.records if r.pk not in restricted]
        for record in newly:
            record_restrict(actor=actor, record=record, reason=reason)
        held = holds_covering([r.pk for r in matches.records])
        request.summary = {
            "counts": matches.counts(),
            "restricted": [r.pk for r in newly],
            "already_restricted": sorted(restricted),
            "held": [{"record": pk, "holds": [h.name for h in holds]}
                     for pk, holds in sorted(held.items())],
        }
        request.status = SubjectRequestStatus.COMPLETED
        request.completed_by, request.completed_at = actor, timezone.now()
        request.save(update_fields=["summary", "status", "completed_by", "completed_at"])
        audit_record(actor=actor, action="archive.subject_erased",
                     organisation=request.organisation, target=request,
                     details={"counts": matches.counts(), "legal_basis": request.legal_basis,
                              "restricted": len(newly), "held": len(held)})
    return request
