"""Console pages of account health: one account's health and the ghost accounts report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from townsquare.channels import health
from townsquare.channels.health_charts import activity_chart, followers_chart, week_label
from townsquare.channels.models import NETWORK_CHOICES, AccountStatus
from townsquare.channels.selectors import account_get_for_user
from townsquare.channels.services.accounts import account_confirm_ownership, account_update
from townsquare.core.forms import UswdsFormMixin
from townsquare.core.http import StaffRequest
from townsquare.organisations.models import Organisation, Role
from townsquare.organisations.selectors import organisations_visible_to, roles_of

MANAGER_ROLES = {Role.ADMINISTRATOR, Role.EDITOR}
REVIEW_ACTIONS = ("confirm", "dormant", "retire")


class GhostFilterForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none(), required=False
    )
    network = forms.ChoiceField(
        label=gettext_lazy("Network"),
        choices=[("", gettext_lazy("Any network")), *NETWORK_CHOICES],
        required=False,
    )
    classification = forms.ChoiceField(
        label=gettext_lazy("Kind of ghost"),
        choices=[("", gettext_lazy("Any kind")), *health.GhostClass.choices],
        required=False,
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = organisations
        field.empty_label = str(gettext_lazy("All organisations I can see"))


def _can_manage(user: Any, organisation: Organisation, cache: dict[int, bool]) -> bool:
    if organisation.pk not in cache:
        cache[organisation.pk] = bool(roles_of(user, organisation) & MANAGER_ROLES)
    return cache[organisation.pk]


def duration_text(seconds: float | None) -> str:
    """A response time in words, in the active language ("3 hours, 5 minutes")."""
    if seconds is None:
        return ""
    if seconds < 60:
        whole = round(seconds)
        return ngettext("%(count)d second", "%(count)d seconds", whole) % {"count": whole}
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return timesince(start, now=start + dt.timedelta(seconds=seconds), depth=2)


@login_required
@require_GET
def account_health_page(request: StaffRequest, account_id: int) -> HttpResponse:
    result = health.account_health(request.user, account_id)
    account = result.summary.account
    weeks = [(week_label(w), w) for w in result.weeks]
    return render(
        request,
        "channels/health.html",
        {
            "account": account,
            "health": result,
            "summary": result.summary,
            "median_text": duration_text(result.median_response_seconds),
            "weeks": weeks,
            "activity_svg": activity_chart(result.weeks),
            "followers_svg": followers_chart(result.followers),
            "can_manage": _can_manage(request.user, account.organisation, {}),
            "thresholds": _thresholds(),
            "next": request.get_full_path(),
        },
    )


def _thresholds() -> dict[str, Any]:
    limits = health.thresholds()
    return {
        "idle_days": limits.ghost_idle_days,
        "min_followers": limits.ghost_min_followers,
        "min_messages": limits.ghost_min_citizen_messages,
        "min_share": round(limits.ghost_min_answered_share * 100),
    }


@login_required
@require_GET
def ghost_report(request: StaffRequest) -> HttpResponse:
    form = GhostFilterForm(
        request.GET or None, organisations=organisations_visible_to(request.user)
    )
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "organisation": form.cleaned_data["organisation"],
            "network": form.cleaned_data["network"],
            "classification": form.cleaned_data["classification"],
        }
    ghosts = health.ghost_accounts(request.user, **filters)
    page = Paginator(ghosts, 50).get_page(request.GET.get("page"))
    cache: dict[int, bool] = {}
    rows = [
        {"summary": s, "can_manage": _can_manage(request.user, s.account.organisation, cache)}
        for s in page.object_list
    ]
    params = {k: str(v) for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "channels/ghosts.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "total": len(ghosts),
            "query_string": urlencode(params),
            "thresholds": _thresholds(),
            "next": request.get_full_path(),
        },
    )


@login_required
@require_POST
def account_review(request: StaffRequest, account_id: int) -> HttpResponse:
    """The review workflow's buttons: confirm ownership, mark dormant, retire."""
    account = account_get_for_user(request.user, account_id)
    action = request.POST.get("action", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("channels:health", args=[account.pk])
    if action not in REVIEW_ACTIONS:
        messages.error(request, _("Unknown review action."))
        return redirect(back)
    try:
        if action == "confirm":
            account_confirm_ownership(actor=request.user, account=account)
            messages.success(request, _("Thank you: ownership of the account is confirmed."))
        elif action == "dormant":
            account_update(actor=request.user, account=account, status=AccountStatus.DORMANT)
            messages.success(request, _("The account is marked dormant."))
        else:
            account_update(actor=request.user, account=account, status=AccountStatus.RETIRED)
            messages.success(request, _("The account is retired. It no longer appears in the "
                                        "public directory."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages)[:300])
    return redirect(back)
