"""The publishing settings of one organisation: approval chain, campaigns, hashtags, the
organisation's own words to avoid and its post templates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from townsquare.core.http import StaffRequest
from townsquare.organisations.models import Organisation, Role
from townsquare.organisations.selectors import organisation_get_for_user, roles_of
from townsquare.publishing.forms import (
    AvoidWordsForm,
    CampaignForm,
    HashtagForm,
    PolicyForm,
    PostTemplateForm,
)
from townsquare.publishing.models import AvoidWord, Campaign, PostTemplate, SavedHashtag
from townsquare.publishing.rules import composing_organisations, policy_for
from townsquare.publishing.services.organisation_settings import (
    approval_policy_set,
    avoid_words_set,
    campaign_create,
    hashtag_save,
    post_template_create,
    post_template_delete,
    post_template_update,
)


def _apply(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _template_of(organisation: Organisation, raw: str | None) -> PostTemplate | None:
    """The organisation's template by id; an id of any other organisation is a 404."""
    if not raw:
        return None
    try:
        return PostTemplate.objects.get(organisation=organisation, pk=int(raw))
    except (PostTemplate.DoesNotExist, ValueError) as exc:
        raise Http404("No such template") from exc


def _save(which: str, form: Any, actor: Any, organisation: Organisation,
          editing: PostTemplate | None) -> None:
    """Hand one valid settings form to its service (ValidationError if it refuses)."""
    data = form.cleaned_data
    if which == "policy":
        approval_policy_set(actor=actor, organisation=organisation, levels=data["levels"],
                            level_one_roles=data["level_one_roles"],
                            level_two_roles=data["level_two_roles"])
    elif which == "campaign":
        campaign_create(actor=actor, organisation=organisation, name=data["name"],
                        description=data["description"])
    elif which == "avoid_words":
        avoid_words_set(actor=actor, organisation=organisation, words=form.word_list())
    elif which == "template" and editing is not None:
        post_template_update(actor=actor, template=editing, name=data["name"],
                             language=data["language"], text=data["text"])
    elif which == "template":
        post_template_create(actor=actor, organisation=organisation, name=data["name"],
                             language=data["language"], text=data["text"])
    else:
        hashtag_save(actor=actor, organisation=organisation, tag=data["tag"])


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
    avoid_words = AvoidWord.objects.filter(organisation=organisation)
    avoid_form = AvoidWordsForm(request.POST if which == "avoid_words" else None, prefix="avoid",
                                initial={"words": "\n".join(w.word for w in avoid_words)})
    editing = _template_of(organisation, request.POST.get("template_id")
                           or request.GET.get("template"))
    template_form = PostTemplateForm(
        request.POST if which == "template" else None, prefix="template",
        initial={"name": editing.name, "language": editing.language, "text": editing.text}
        if editing else None)
    forms_by_name: dict[str, Any] = {"policy": policy_form, "campaign": campaign_form,
                                     "hashtag": hashtag_form, "avoid_words": avoid_form,
                                     "template": template_form}
    if which == "template_delete" and editing is not None:
        post_template_delete(actor=request.user, template=editing)
        messages.success(request, _("The template was deleted."))
        return redirect(f"{reverse('publishing:settings')}?organisation={organisation.pk}")
    form = forms_by_name.get(which or "")
    if form is not None and form.is_valid():
        try:
            _save(which or "", form, request.user, organisation, editing)
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
        "avoid_form": avoid_form, "avoid_words": avoid_words,
        "template_form": template_form, "editing": editing,
        "templates": PostTemplate.objects.filter(organisation=organisation),
    })
