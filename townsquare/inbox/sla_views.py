"""Console pages for SLAs: an agency's policy (administrators) and the SLA figures."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from townsquare.core.http import StaffRequest
from townsquare.inbox.models import SlaPolicy
from townsquare.inbox.selectors import sla_figures
from townsquare.inbox.services.sla import sla_policy_save
from townsquare.inbox.settings_views import administered
from townsquare.inbox.sla_forms import SlaPolicyForm
from townsquare.inbox.views import _apply_errors

PERIODS = (7, 30, 90)


@login_required
def sla_settings(request: StaffRequest) -> HttpResponse:
    owners = administered(request.user)
    if not owners.exists():
        raise PermissionDenied
    # Which agency's policy to show: ?organisation=<id> among those the user administers.
    chosen = owners.filter(pk=request.GET.get("organisation") or 0).first() or owners.first()
    policy = SlaPolicy.objects.filter(organisation=chosen).first()
    initial = {**SlaPolicyForm.initial_for(policy), "organisation": chosen.pk if chosen else None}
    form = SlaPolicyForm(request.POST or None, organisations=owners, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.policy_values()
        try:
            sla_policy_save(actor=request.user, **values)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The SLA policy of %(organisation)s is saved.")
                             % {"organisation": values["organisation"]})
            return redirect(f"{request.path}?organisation={values['organisation'].pk}")
    day_fields = [(form[f"opens_{i}"], form[f"closes_{i}"]) for i in range(7)]
    return render(request, "inbox/sla_settings.html", {
        "form": form, "owners": owners, "chosen": chosen, "day_fields": day_fields,
        "target_fields": [form[n] for n in form.fields if n.startswith(("first_", "resol"))],
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def sla_report(request: StaffRequest) -> HttpResponse:
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    if days not in PERIODS:
        days = 30
    since = timezone.now() - dt.timedelta(days=days)
    return render(request, "inbox/sla_report.html", {
        "figures": sla_figures(request.user, since=since), "days": days, "periods": PERIODS,
    })
