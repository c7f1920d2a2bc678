"""Console pages for routing rules and canned replies (administrators)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core.http import StaffRequest
from townsquare.inbox.forms import CannedReplyForm, RoutingRuleForm
from townsquare.inbox.models import CannedReply
from townsquare.inbox.rules import can_manage_inbox_settings
from townsquare.inbox.selectors import routing_rules_visible_to
from townsquare.inbox.services.settings import (
    canned_reply_create,
    canned_reply_delete,
    routing_rule_create,
    routing_rule_delete,
)
from townsquare.inbox.views import _apply_errors
from townsquare.organisations.models import Organisation
from townsquare.organisations.selectors import organisations_visible_to


def administered(user: Any) -> QuerySet[Organisation]:
    visible = organisations_visible_to(user).filter(is_active=True)
    return visible.filter(pk__in=[o.pk for o in visible if can_manage_inbox_settings(user, o)])


@login_required
def routing_rules(request: StaffRequest) -> HttpResponse:
    owners = administered(request.user)
    form = RoutingRuleForm(request.POST or None, owners=owners,
                           initial={"position": 100}) if owners.exists() else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                routing_rule_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The routing rule is added."))
                return redirect("inbox:rules")
    return render(request, "inbox/rules.html", {
        "rules": routing_rules_visible_to(request.user),
        "form": form,
        "manageable": set(owners.values_list("pk", flat=True)),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def routing_rule_remove(request: StaffRequest, rule_id: int) -> HttpResponse:
    rule = routing_rules_visible_to(request.user).filter(pk=rule_id).first()
    if rule is None:
        raise Http404("No such rule")
    routing_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("The routing rule is deleted."))
    return redirect("inbox:rules")


def _canned_visible(user: Any) -> QuerySet[CannedReply]:
    return CannedReply.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation")


@login_required
def canned_replies(request: StaffRequest) -> HttpResponse:
    owners = administered(request.user)
    form = CannedReplyForm(request.POST or None, owners=owners) if owners.exists() else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                canned_reply_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The canned reply is added."))
                return redirect("inbox:canned")
    return render(request, "inbox/canned.html", {
        "replies": _canned_visible(request.user),
        "form": form,
        "manageable": set(owners.values_list("pk", flat=True)),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def canned_reply_remove(request: StaffRequest, reply_id: int) -> HttpResponse:
    reply = _canned_visible(request.user).filter(pk=reply_id).first()
    if reply is None:
        raise Http404("No such canned reply")
    canned_reply_delete(actor=request.user, reply=reply)
    messages.success(request, _("The canned reply is deleted."))
    return redirect("inbox:canned")
