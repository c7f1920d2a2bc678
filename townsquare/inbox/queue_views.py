"""The inbox queue page (filters, keyset pages) and the small endpoints htmx polls for
live updates of the queue and of a conversation page.

Polling answers 204 (htmx then leaves the page alone) unless something changed since
what the page shows; the page's state travels in the polling URL, so the server keeps
nothing per viewer and each poll is one indexed query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from townsquare.core.http import StaffRequest
from townsquare.inbox.forms import QueueFilterForm
from townsquare.inbox.models import Conversation
from townsquare.inbox.search import SEARCH_CANDIDATES
from townsquare.inbox.selectors import (
    COUNT_CAP,
    LIVE_CAP,
    QUEUES,
    QueueCursor,
    QueueFilters,
    conversation_get_for_user,
    messages_after,
    queue_counts,
    queue_listing,
    queue_new_since,
    queue_page,
    someone_else_replying,
)
from townsquare.inbox.views import workable_organisations
from townsquare.organisations.selectors import organisations_visible_to

PAGE_SIZE = 25
# How often the pages ask for news (htmx "every …"); the README documents it.
POLL_SECONDS = 15
QUEUE_LABELS = {
    "all": gettext_lazy("All open"),
    "new": gettext_lazy("New"),
    "mine": gettext_lazy("Mine"),
    "unassigned": gettext_lazy("Unassigned"),
    "triage": gettext_lazy("Triage"),
    "emergency": gettext_lazy("Emergencies"),
    "overdue": gettext_lazy("Overdue"),
    "due_soon": gettext_lazy("Due soon"),
    "closed": gettext_lazy("Resolved and closed"),
}


def _queue_request(request: StaffRequest) -> tuple[str, QueueFilterForm, Any]:
    """The queue name, the bound filter form and (the queue's listing, its filters), or
    None when the filters are not valid: the form then carries the messages."""
    name = request.GET.get("queue", "all")
    if name not in QUEUES:
        name = "all"
    form = QueueFilterForm(request.GET or None,
                           organisations=organisations_visible_to(request.user))
    if request.GET and not form.is_valid():
        return name, form, None
    data = form.cleaned_data if request.GET else {}
    filters = QueueFilters(
        organisation=data.get("organisation"), team=data.get("team"),
        status=data.get("status") or "", priority=data.get("priority"),
        channel=data.get("channel") or "", language=data.get("language") or "",
        query=data.get("q") or "",
    )
    try:
        listing = queue_listing(request.user, name, filters)
    except ValidationError as exc:
        form.add_error("q", exc)
        return name, form, None
    return name, form, (listing, filters)


@login_required
@require_GET
def queue(request: StaffRequest) -> HttpResponse:
    name, form, found = _queue_request(request)
    params = {k: str(v) for k, v in request.GET.items()
              if k not in ("after", "queue", "page") and v}
    after = None
    if request.GET.get("after"):
        try:
            after = QueueCursor.decode(request.GET["after"])
        except ValueError:
            messages.warning(request, _("That page link is not valid any more, so the queue "
                                        "starts again from the top."))
    page, counts, listed_url = None, {}, ""
    if found is not None:
        listing, filters = found
        page = queue_page(listing, after=after, size=PAGE_SIZE)
        counts = queue_counts(request.user, filters)
        listed_url = urlencode({**params, "queue": name,
                                "since": timezone.now().isoformat(), "shown": "0"})
    tabs = [{"name": q, "label": QUEUE_LABELS[q], "count": counts.get(q),
             "capped": counts.get(q, 0) > COUNT_CAP} for q in QUEUES]
    return render(request, "inbox/queue.html", {
        "form": form,
        "page": page,
        "queue": name,
        "tabs": tabs,
        "count_cap": COUNT_CAP,
        "filter_string": urlencode(params),
        "query_string": urlencode({**params, "queue": name}),
        "poll_query": listed_url,
        "poll_seconds": POLL_SECONDS,
        "search_candidates": SEARCH_CANDIDATES,
        "can_enter_cases": workable_organisations(request.user).exists(),
    })


def _since(raw: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return when if timezone.is_aware(when) else None


@login_required
@require_GET
def queue_updates(request: StaffRequest) -> HttpResponse:
    """htmx, every POLL_SECONDS: "N new conversations — show them", or 204."""
    since = _since(request.GET.get("since", ""))
    if since is None:
        return HttpResponse(_("The polling address lacks a valid time."), status=400,
                            content_type="text/plain; charset=utf-8")
    try:
        shown = int(request.GET.get("shown", "0"))
    except ValueError:
        shown = 0
    _name, _form, found = _queue_request(request)
    if found is None:
        return HttpResponse(status=204)
    new = queue_new_since(found[0].conversations, since)
    if new == shown:
        return HttpResponse(status=204)
    params = {k: str(v) for k, v in request.GET.items() if k not in ("shown", "after") and v}
    return render(request, "inbox/queue_updates.html", {
        "new": min(new, LIVE_CAP),
        "more": new > LIVE_CAP,
        "poll_query": urlencode({**params, "shown": str(new)}),
        "show_query": urlencode({k: v for k, v in params.items() if k != "since"}),
        "poll_seconds": POLL_SECONDS,
    })


def conversation_live_query(conversation: Conversation, user: Any) -> str:
    """The polling URL's query for a conversation page as rendered now: the newest message
    it shows, its status and who it says is answering."""
    latest = conversation.messages.order_by("-pk").values_list("pk", flat=True).first()
    replying = someone_else_replying(conversation, user)
    return urlencode({"after": latest or 0, "initial_status": conversation.status,
                      "status": conversation.status, "replying": replying.pk if replying else "",
                      "shown": ""})


@login_required
@require_GET
def conversation_updates(request: StaffRequest, conversation_id: int) -> HttpResponse:
    """htmx, every POLL_SECONDS on a conversation page: new messages, a status change and
    who is answering, or 204 when the page already shows all that."""
    conversation = conversation_get_for_user(request.user, conversation_id)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return HttpResponse(_("The polling address lacks a valid message number."), status=400,
                            content_type="text/plain; charset=utf-8")
    initial_status = request.GET.get("initial_status", "")
    new_messages = messages_after(conversation, after)
    newest = str(new_messages[-1].pk) if new_messages else ""
    replying = someone_else_replying(conversation, request.user)
    replying_id = str(replying.pk) if replying else ""
    if (newest == request.GET.get("shown", "") and replying_id == request.GET.get("replying", "")
            and conversation.status == request.GET.get("status", "")):
        return HttpResponse(status=204)
    return render(request, "inbox/conversation_updates.html", {
        "conversation": conversation,
        "new_messages": new_messages,
        "status_changed": conversation.status != initial_status,
        "replying": replying,
        "poll_query": urlencode({"after": str(after), "initial_status": initial_status,
                                 "status": str(conversation.status), "replying": replying_id,
                                 "shown": newest}),
        "poll_seconds": POLL_SECONDS,
    })
