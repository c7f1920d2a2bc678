"""The publishing settings of one organisation: approval chain, campaigns, hashtags."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from townsquare.core.http import StaffRequest
from townsquare.organisations.models import Role
from townsquare.organisations.selectors import organisation_get_for_user, roles_of
from townsquare.publishing.forms import CampaignForm, HashtagForm, PolicyForm
from townsquare.publishing.models import Campaign, SavedHashtag
from townsquare.publishing.rules import composing_organisations, policy_for
from townsquare.publishing.services.organisation_settings import (
    approval_policy_set,
    campaign_create,
    hashtag_save,
)


def _apply(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def publishing_settings(request: StaffRequest) -> HttpResponse:
    choices = composing_organisations(request.user)
    chosen = request.GET.get("organisation") or request.POST.get("organisation")
    if chosen:
        organisation = organisation_get_for_user(request.user, chosen)
    else:
        first = choices.first()
        if first is None:
            raise PermissionDenied
        organisation = first
    if not roles_of(request.user, organisation) & {Role.ADMINISTRATOR, Role.EDITOR}:
        raise PermissionDenied
    policy = policy_for(organisation)
    is_admin = Role.ADMINISTRATOR in roles_of(request.user, organisation)
    which = request.POST.get("form") if request.method == "POST" else None
    policy_form = PolicyForm(request.POST if which == "policy" else None, initial={
        "levels": policy.levels, "level_one_roles": policy.level_one_roles,
        "level_two_roles": policy.level_two_roles})
    campaign_form = CampaignForm(request.POST if which == "campaign" else None)
    hashtag_form = HashtagForm(request.POST if which == "hashtag" else None)
    forms_by_name: dict[str, Any] = {"policy": policy_form, "campaign": campaign_form,
                                     "hashtag": hashtag_form}
    form = forms_by_name.get(which or "")
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if which == "policy":
                approval_policy_set(actor=request.user, organisation=organisation,
                                    levels=data["levels"],
                                    level_one_roles=data["level_one_roles"],
                                    level_two_roles=data["level_two_roles"])
            elif which == "campaign":
                campaign_create(actor=request.user, organisation=organisation,
                                name=data["name"], description=data["description"])
            else:
                hashtag_save(actor=request.user, organisation=organisation, tag=data["tag"])
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('publishing:settings')}?organisation={organisation.pk}")
    return render(request, "publishing/settings.html", {
        "organisation": organisation, "organisations": choices, "is_admin": is_admin,
        "policy": policy, "policy_form": policy_form, "campaign_form": campaign_form,
        "hashtag_form": hashtag_form,
        "campaigns": Campaign.objects.filter(organisation=organisation),
        "hashtags": SavedHashtag.objects.filter(organisation=organisation),
    })
