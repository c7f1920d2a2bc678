"""Console pages of the unified inbox: queues, a conversation, staff-entered cases."""

from __future__ import annotations

from itertools import chain
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.core.http import StaffRequest
from townsquare.inbox.forms import (
    AssignForm,
    CaseForm,
    LinkForm,
    NoteForm,
    ReplyForm,
    StatusForm,
    TransferForm,
)
from townsquare.inbox.models import OPEN_STATUSES, Conversation
from townsquare.inbox.rules import can_work_in
from townsquare.inbox.selectors import (
    canned_replies_for,
    contact_conversations_for,
    conversation_by_tracking_for_user,
    conversation_get_for_user,
    conversation_messages,
    conversations_visible_to,
    someone_else_replying,
    staff_who_can_work_on,
    transfer_destinations,
)
from townsquare.inbox.services.replies import (
    ReplyCollision,
    conversation_mark_replying,
    conversation_reply,
    message_retry,
)
from townsquare.inbox.services.work import (
    case_create,
    conversation_assign,
    conversation_set_status,
    conversation_transfer,
    identities_link,
    note_add,
)
from townsquare.inbox.tracking import tracking_number_parse
from townsquare.organisations.models import Organisation
from townsquare.organisations.selectors import organisations_visible_to

PAGE_SIZE = 25


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def workable_organisations(user: Any) -> QuerySet[Organisation]:
    visible = organisations_visible_to(user).filter(is_active=True)
    return visible.filter(pk__in=[o.pk for o in visible if can_work_in(user, o)])


def _timeline(conversation: Conversation) -> list[tuple[str, Any]]:
    entries = chain(
        (("message", m) for m in conversation_messages(conversation)),
        (("note", n) for n in conversation.notes.select_related("author")),
        (("transfer", t) for t in conversation.transfers.select_related(
            "from_organisation", "to_organisation", "to_team", "by")),
    )
    return sorted(entries, key=lambda entry: (entry[1].created_at, entry[0]))


def _detail(request: StaffRequest, conversation: Conversation, *, status: int = 200,
            **forms: Any) -> HttpResponse:
    user = request.user
    can_work = can_work_in(user, conversation.organisation)
    latest = conversation.messages.order_by("-pk").first()
    reply_initial: dict[str, Any] = {"seen_message_id": latest.pk if latest else None}
    canned = list(canned_replies_for(conversation.organisation)) if can_work else []
    chosen = request.GET.get("canned", "")
    for reply in canned:
        if str(reply.pk) == chosen:
            reply_initial["text"] = reply.text_for(conversation.language)
    from townsquare.inbox.queue_views import POLL_SECONDS, conversation_live_query

    context = {
        "conversation": conversation,
        "timeline": _timeline(conversation),
        "can_work": can_work,
        "history": contact_conversations_for(user, conversation.contact).exclude(
            pk=conversation.pk).order_by("-last_message_at")[:20],
        "identities": conversation.contact.identities.all(),
        "replying": someone_else_replying(conversation, user),
        "canned": canned,
        "reply_form": forms.get("reply_form") or ReplyForm(initial=reply_initial),
        "note_form": forms.get("note_form") or NoteForm(),
        "assign_form": forms.get("assign_form") or AssignForm(
            people=staff_who_can_work_on(conversation.organisation),
            initial={"assignee": conversation.assignee_id}),
        "status_form": forms.get("status_form") or StatusForm(
            initial={"status": conversation.status}),
        "transfer_form": forms.get("transfer_form") or TransferForm(
            destinations=transfer_destinations(conversation)),
        "link_form": forms.get("link_form") or LinkForm(),
        "collision": forms.get("collision"),
        "open_statuses": OPEN_STATUSES,
        "live_query": conversation_live_query(conversation, user),
        "poll_seconds": POLL_SECONDS,
    }
    return render(request, "inbox/conversation.html", context, status=status)


@login_required
@require_GET
def conversation_detail(request: StaffRequest, conversation_id: int) -> HttpResponse:
    return _detail(request, conversation_get_for_user(request.user, conversation_id))


@login_required
@require_POST
def composing(request: StaffRequest, conversation_id: int) -> HttpResponse:
    """htmx: the reply box got focus, so colleagues see who is answering."""
    conversation = conversation_get_for_user(request.user, conversation_id)
    conversation_mark_replying(actor=request.user, conversation=conversation)
    return HttpResponse(status=204)


@login_required
@require_POST
def reply(request: StaffRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_get_for_user(request.user, conversation_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        seen = None if request.POST.get("send_anyway") else data["seen_message_id"]
        try:
            conversation_reply(actor=request.user, conversation=conversation,
                               text=data["text"], private=data["private"],
                               seen_message_id=seen)
        except ReplyCollision as exc:
            return _detail(request, conversation, status=409, reply_form=form,
                           collision=exc.newer)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your answer is saved and on its way."))
            return redirect("inbox:conversation", conversation.pk)
    return _detail(request, conversation, status=400, reply_form=form)


@login_required
@require_POST
def note(request: StaffRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_get_for_user(request.user, conversation_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_add(actor=request.user, conversation=conversation, text=form.cleaned_data["text"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The note is added."))
            return redirect("inbox:conversation", conversation.pk)
    return _detail(request, conversation, status=400, note_form=form)


@login_required
@require_POST
def assign(request: StaffRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_get_for_user(request.user, conversation_id)
    form = AssignForm(request.POST, people=staff_who_can_work_on(conversation.organisation))
    if form.is_valid():
        try:
            if request.POST.get("take"):
                conversation_assign(actor=request.user, conversation=conversation,
                                    assignee=request.user)
            else:
                conversation_assign(actor=request.user, conversation=conversation,
                                    assignee=form.cleaned_data["assignee"],
                                    round_robin=bool(request.POST.get("round_robin")))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The assignment is saved."))
            return redirect("inbox:conversation", conversation.pk)
    return _detail(request, conversation, status=400, assign_form=form)


@login_required
@require_POST
def set_status(request: StaffRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_get_for_user(request.user, conversation_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        changed = conversation_set_status(actor=request.user, conversation=conversation,
                                          status=form.cleaned_data["status"])[1]
        if changed:
            messages.success(request, _("The status is changed."))
        else:
            messages.info(request, _("The conversation already had this status (perhaps a "
                                     "colleague changed it a moment ago)."))
        return redirect("inbox:conversation", conversation.pk)
    return _detail(request, conversation, status=400, status_form=form)


@login_required
@require_POST
def transfer(request: StaffRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_get_for_user(request.user, conversation_id)
    form = TransferForm(request.POST, destinations=transfer_destinations(conversation))
    if form.is_valid():
        data = form.cleaned_data
        try:
            conversation_transfer(actor=request.user, conversation=conversation,
                                  to_organisation=data["to_organisation"],
                                  to_team=data["to_team"], reason=data["reason"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The conversation is transferred to %(organisation)s.")
                             % {"organisation": data["to_organisation"]})
            if conversations_visible_to(request.user).filter(pk=conversation.pk).exists():
                return redirect("inbox:conversation", conversation.pk)
            return redirect("inbox:queue")
    return _detail(request, conversation, status=400, transfer_form=form)


@login_required
@require_POST
def link(request: StaffRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_get_for_user(request.user, conversation_id)
    form = LinkForm(request.POST)
    if form.is_valid():
        number = tracking_number_parse(form.cleaned_data["tracking_number"])
        other = conversation_by_tracking_for_user(request.user, number) if number else None
        if other is None:
            form.add_error("tracking_number", _("No conversation you can see has this tracking "
                                                "number."))
        else:
            try:
                identities_link(actor=request.user, conversation=conversation, other=other,
                                reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                _apply_errors(form, exc)
            except PermissionDenied:
                form.add_error("tracking_number", _("You do not work on that conversation."))
            else:
                messages.success(request, _("The contacts are linked."))
                return redirect("inbox:conversation", conversation.pk)
    return _detail(request, conversation, status=400, link_form=form)


@login_required
@require_POST
def retry(request: StaffRequest, conversation_id: int, message_id: int) -> HttpResponse:
    conversation = conversation_get_for_user(request.user, conversation_id)
    message = conversation.messages.filter(pk=message_id).first()
    if message is None:
        return redirect("inbox:conversation", conversation.pk)
    message_retry(actor=request.user, message=message)
    messages.success(request, _("The answer will be sent again."))
    return redirect("inbox:conversation", conversation.pk)


@login_required
def case_new(request: StaffRequest) -> HttpResponse:
    organisations = workable_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied
    form = CaseForm(request.POST or None, organisations=organisations,
                    initial={"organisation": request.user.current_organisation_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = case_create(
                actor=request.user, organisation=data["organisation"], channel=data["channel"],
                citizen_name=data["citizen_name"], citizen_reference=data["citizen_reference"],
                text=data["text"], language=data["language"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The case is created. Give the citizen the tracking "
                                        "number %(number)s.")
                             % {"number": conversation.tracking_number})
            return redirect("inbox:conversation", conversation.pk)
    return render(request, "inbox/case_form.html", {"form": form})
