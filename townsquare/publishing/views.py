"""Console pages of publishing: post list, composer, review page, variants and calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from townsquare.core.http import StaffRequest
from townsquare.media.selectors import assets_visible_to
from townsquare.organisations.selectors import organisations_visible_to
from townsquare.publishing.forms import (
    PART_SEPARATOR,
    ComposeForm,
    CorrectionForm,
    EmergencyForm,
    PostFilterForm,
    ScheduleForm,
    TextForm,
    VariantForm,
)
from townsquare.publishing.models import (
    EDITABLE_STATES,
    Post,
    PostState,
    SavedHashtag,
    VariantState,
)
from townsquare.publishing.plain import agency_words, highlighted, report_for
from townsquare.publishing.rules import (
    can_approve_any,
    can_compose,
    can_publish_in_emergency,
    composing_organisations,
    publishable_accounts,
)
from townsquare.publishing.schedule import ScheduleError
from townsquare.publishing.selectors import (
    campaigns_visible_to,
    post_get_for_user,
    post_with_versions,
    posts_visible_to,
    template_get_for_composer,
    templates_for_composer,
    variant_get_for_user,
)
from townsquare.publishing.services import engine, remote, workflow
from townsquare.publishing.services.compose import (
    capabilities_of,
    post_create,
    post_update,
    variant_edit,
    variant_reset,
)
from townsquare.publishing.text_fit import network_length


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def post_list(request: StaffRequest) -> HttpResponse:
    visible = organisations_visible_to(request.user)
    form = PostFilterForm(request.GET or None, organisations=visible,
                          campaigns=campaigns_visible_to(request.user))
    posts = posts_visible_to(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            posts = posts.filter(Q(title__icontains=data["q"])
                                 | Q(versions__text__icontains=data["q"])).distinct()
        if data["state"]:
            posts = posts.filter(state=data["state"])
        if data["organisation"] is not None:
            posts = posts.filter(organisation__path__startswith=data["organisation"].path)
        if data["campaign"] is not None:
            posts = posts.filter(campaign=data["campaign"])
        if data["emergency"]:
            posts = posts.filter(emergency=True)
    page = Paginator(posts, 30).get_page(request.GET.get("page"))
    params = {k: str(v) for k, v in request.GET.items() if k != "page" and v}
    return render(request, "publishing/list.html", {
        "form": form, "page": page, "query_string": urlencode(params),
        "can_create": composing_organisations(request.user).exists(),
    })


def _compose_form(request: StaffRequest, **kwargs: Any) -> ComposeForm:
    return ComposeForm(
        request.POST or None,
        organisations=composing_organisations(request.user),
        accounts=publishable_accounts(request.user).order_by("organisation__path", "network"),
        media=assets_visible_to(request.user).filter(is_archived=False),
        campaigns=campaigns_visible_to(request.user),
        **kwargs,
    )


def _compose_context(request: StaffRequest, form: ComposeForm,
                     post: Post | None) -> dict[str, Any]:
    hashtags = SavedHashtag.objects.filter(
        organisation__in=composing_organisations(request.user)
    ).values_list("tag", flat=True).distinct().order_by("tag")[:50]
    return {"form": form, "post": post, "hashtags": list(hashtags),
            "templates": templates_for_composer(request.user).select_related("organisation")}


@login_required
def post_new(request: StaffRequest) -> HttpResponse:
    if not composing_organisations(request.user).exists():
        raise PermissionDenied
    # "Start from a template": the new post opens with the template's text in its language.
    template = template_get_for_composer(request.user, request.GET.get("template"))
    initial = {"organisation": template.organisation,
               f"text_{template.language}": template.text} if template else None
    form = _compose_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            post = post_create(actor=request.user, organisation=form.cleaned_data["organisation"],
                               title=form.cleaned_data["title"], versions=form.versions(),
                               campaign=form.cleaned_data["campaign"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("publishing:detail", post.pk)
    return render(request, "publishing/compose.html", _compose_context(request, form, None))


@login_required
def post_edit(request: StaffRequest, post_id: int) -> HttpResponse:
    post = post_get_for_user(request.user, post_id)
    if not can_compose(request.user, post.organisation):
        raise PermissionDenied
    if post.state not in EDITABLE_STATES:
        messages.error(request, _("This post can no longer be changed here."))
        return redirect("publishing:detail", post.pk)
    initial: dict[str, Any] = {"organisation": post.organisation, "title": post.title,
                               "campaign": post.campaign, "version": post.content_version}
    for version in post_with_versions(post):
        initial[f"text_{version.language}"] = version.text
        initial[f"accounts_{version.language}"] = list(version.accounts.all())
        initial[f"media_{version.language}"] = list(version.media.all())
    form = _compose_form(request, initial=initial)
    form.fields["organisation"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            post_update(actor=request.user, post=post, title=form.cleaned_data["title"],
                        versions=form.versions(), campaign=form.cleaned_data["campaign"],
                        expected_version=form.cleaned_data["version"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("publishing:detail", post.pk)
    return render(request, "publishing/compose.html", _compose_context(request, form, post))


def _variant_rows(post: Post) -> list[dict[str, Any]]:
    rows = []
    extra = agency_words(post.organisation)
    for version in post_with_versions(post):
        variants = []
        for variant in version.variants.all():
            capabilities = capabilities_of(variant.account)
            variants.append({
                "variant": variant,
                "parts": [(part, network_length(part, capabilities))
                          for part in variant.parts],
                "limit": capabilities.text.max_length,
            })
        # The review page shows the checker's hints with the agency's own words too.
        report = report_for(version.text, version.language, extra_avoid=extra) \
            if version.text.strip() else None
        rows.append({"version": version, "variants": variants, "report": report,
                     "segments": highlighted(version.text, report) if report else []})
    return rows


@login_required
def post_detail(request: StaffRequest, post_id: int) -> HttpResponse:
    post = post_get_for_user(request.user, post_id)
    user = request.user
    local_now = dt.datetime.now(dt.UTC)
    return render(request, "publishing/detail.html", {
        "post": post,
        "versions": _variant_rows(post),
        "approvals": post.approvals.select_related("approver").order_by("-content_version",
                                                                          "level"),
        "comments": post.comments.select_related("author"),
        "can_compose": can_compose(user, post.organisation),
        "can_approve": can_approve_any(user, post) and post.author_id != user.pk,
        "can_emergency": can_publish_in_emergency(user, post.organisation),
        "editable": post.state in EDITABLE_STATES,
        "failed_variants": post.state in (PostState.PARTLY_FAILED, PostState.FAILED),
        "out": post.state in (PostState.PUBLISHED, PostState.PARTLY_FAILED),
        "schedule_form": ScheduleForm(initial={
            "date": post.scheduled_date or local_now.date(),
            "time": post.scheduled_time,
        }),
        "comment_form": TextForm(),
        "emergency_form": EmergencyForm(),
        "correction_form": CorrectionForm(),
        "variant_states": VariantState,
    })


def _form_messages(form: Any) -> list[str]:
    """A form's errors as sentences naming their field (shown as messages on the page)."""
    found = []
    for name, errors in form.errors.items():
        label = form[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        found.append(f"{label}: {text}" if label else text)
    return found


def _schedule(request: StaffRequest, post: Post) -> None:
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_form_messages(form))
    try:
        resolved = workflow.post_schedule(
            actor=request.user, post=post, date=form.cleaned_data["date"],
            time=form.cleaned_data["time"], fold=form.cleaned_data["fold"],
        )
    except ScheduleError as exc:
        raise ValidationError(str(exc)) from exc
    messages.success(request, _("Scheduled for %(time)s (%(zone)s).") % {
        "time": f"{resolved.local:%Y-%m-%d %H:%M}", "zone": post.organisation.time_zone})


def _text(request: StaffRequest) -> str:
    form = TextForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_form_messages(form) or [_("Write a comment.")])
    return str(form.cleaned_data["text"])


def _seen_version(request: StaffRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError as exc:
        raise ValidationError(_("Reload the page and try again.")) from exc


def _correct(request: StaffRequest, post: Post) -> None:
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_form_messages(form))
    variants = remote.post_correct(actor=request.user, post=post,
                                   language=form.cleaned_data["language"],
                                   text=form.cleaned_data["text"])
    not_possible = [v for v in variants if v.remote_change == "not_supported"]
    messages.success(request, _("Correction saved; it is being sent to the networks."))
    for variant in not_possible:
        messages.warning(request, f"{variant.account.handle}: {variant.remote_change_note}")


ACTIONS: dict[str, tuple[Callable[[StaffRequest, Post], object], Any]] = {
    "submit": (lambda r, p: workflow.post_submit(actor=r.user, post=p),
               gettext_lazy("Sent for review.")),
    "approve": (lambda r, p: workflow.post_approve(actor=r.user, post=p,
                                                   seen_version=_seen_version(r)),
                gettext_lazy("Approved.")),
    "request_changes": (lambda r, p: workflow.post_request_changes(actor=r.user, post=p,
                                                                   text=_text(r)),
                        gettext_lazy("Changes requested; the post is a draft again.")),
    "comment": (lambda r, p: workflow.post_comment_add(actor=r.user, post=p, text=_text(r)),
                gettext_lazy("Comment added.")),
    "schedule": (_schedule, None),
    "unschedule": (lambda r, p: workflow.post_unschedule(actor=r.user, post=p),
                   gettext_lazy("The schedule was removed.")),
    "publish_now": (lambda r, p: workflow.post_publish_now(actor=r.user, post=p),
                    gettext_lazy("The post will be published within a minute.")),
    "emergency": (lambda r, p: workflow.post_emergency_publish(
        actor=r.user, post=p, reason=r.POST.get("reason", "")),
        gettext_lazy("Emergency post: publishing now. It must be reviewed afterwards.")),
    "emergency_review": (lambda r, p: workflow.post_emergency_review(actor=r.user, post=p),
                         gettext_lazy("Review recorded.")),
    "retry": (lambda r, p: engine.post_retry_failed(actor=r.user, post=p),
              gettext_lazy("The failed accounts are being tried again.")),
    "withdraw": (lambda r, p: remote.post_withdraw(actor=r.user, post=p),
                 gettext_lazy("The post is being deleted from the networks that allow it.")),
    "correct": (_correct, None),
}

@login_required
@require_POST
def post_action(request: StaffRequest, post_id: int, action: str) -> HttpResponse:
    post = post_get_for_user(request.user, post_id)
    if action not in ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("publishing:detail", post.pk)
    run, message = ACTIONS[action]
    try:
        run(request, post)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        if message:
            messages.success(request, str(message))
    return redirect("publishing:detail", post.pk)


@login_required
def variant_edit_page(request: StaffRequest, variant_id: int) -> HttpResponse:
    variant = variant_get_for_user(request.user, variant_id)
    post = variant.version.post
    if not can_compose(request.user, post.organisation):
        raise PermissionDenied
    separator = f"\n{PART_SEPARATOR}\n"
    form = VariantForm(request.POST or None,
                       initial={"parts": separator.join(variant.parts),
                                "version": post.content_version})
    if request.method == "POST" and form.is_valid():
        try:
            variant_edit(actor=request.user, variant=variant, parts=form.part_list(),
                         expected_version=form.cleaned_data["version"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The text for %(handle)s was saved.")
                             % {"handle": variant.account.handle})
            return redirect("publishing:detail", post.pk)
    capabilities = capabilities_of(variant.account)
    return render(request, "publishing/variant_form.html", {
        "form": form, "variant": variant, "post": post,
        "limit": capabilities.text.max_length,
        "parts": [(part, network_length(part, capabilities)) for part in variant.parts],
    })


@login_required
@require_POST
def variant_reset_view(request: StaffRequest, variant_id: int) -> HttpResponse:
    variant = variant_get_for_user(request.user, variant_id)
    try:
        variant_reset(actor=request.user, variant=variant)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The text was fitted again from the language version."))
    return redirect("publishing:detail", variant.version.post_id)
