"""Console pages of consultations: the list, create and edit, the document's sections,
seeded statements, publishing and closing, the moderation queue, themes and the agency's
response, formal responses and their attachments. Opinion groups are in
consultation_opinion_views. Every write goes through a service (which audits it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core.http import StaffRequest
from townsquare.core.services import audit_record
from townsquare.engagement.consultation_forms import (
    ConsultationForm,
    ConsultationSectionForm,
    StatementForm,
    ThemeForm,
)
from townsquare.engagement.consultation_models import ConsultationStatus, Phase
from townsquare.engagement.consultation_selectors import (
    comment_get_for_user,
    consultation_get_for_user,
    consultations_visible_to,
    decision_get_for_user,
    moderation_queue,
    participation_summary,
    section_get_for_user,
    statement_get_for_user,
)
from townsquare.engagement.forms import initial_translations, merge_translations
from townsquare.engagement.rules import can_manage, managed_organisations
from townsquare.engagement.services import consultations as service
from townsquare.engagement.services import moderation
from townsquare.engagement.views import apply_errors
from townsquare.media import storage


def _managed(request: StaffRequest, consultation: Any) -> None:
    if not can_manage(request.user, consultation.organisation):
        raise PermissionDenied


@login_required
def consultations_home(request: StaffRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    found = consultations_visible_to(request.user)
    if query:
        found = found.filter(title__icontains=query)
    return render(request, "engagement/console/consultations.html", {
        "consultations": found[:100], "query": query,
        "can_create": managed_organisations(request.user).exists()})


def _consultation_changes(data: dict[str, Any]) -> dict[str, Any]:
    return {"title": data["title"], "summary": data["summary"],
            "moderation": data["moderation"], "comments_open_at": data["comments_open_at"],
            "comments_close_at": data["comments_close_at"],
            "translations": merge_translations(data, ("title", "summary"))}


@login_required
def consultation_new(request: StaffRequest) -> HttpResponse:
    organisations = managed_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied
    form = ConsultationForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = service.consultation_create(
                actor=request.user, organisation=form.cleaned_data["organisation"],
                **_consultation_changes(form.cleaned_data))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Consultation created as a draft. Add its sections."))
            return redirect("engagement:consultation", consultation.pk)
    return render(request, "engagement/console/consultation_form.html", {
        "form": form, "here": _("New consultation")})


@login_required
def consultation_edit(request: StaffRequest, consultation_id: int) -> HttpResponse:
    consultation = consultation_get_for_user(request.user, consultation_id)
    _managed(request, consultation)
    initial = {"title": consultation.title, "summary": consultation.summary,
               "moderation": consultation.moderation,
               "comments_open_at": consultation.comments_open_at,
               "comments_close_at": consultation.comments_close_at,
               **initial_translations(consultation.translations, ("title", "summary"))}
    form = ConsultationForm(request.POST or None, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.consultation_update(actor=request.user, consultation=consultation,
                                        **_consultation_changes(form.cleaned_data))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Consultation saved."))
            return redirect("engagement:consultation", consultation.pk)
    return render(request, "engagement/console/consultation_form.html", {
        "form": form, "consultation": consultation, "here": _("Edit")})


@login_required
def consultation_detail(request: StaffRequest, consultation_id: int) -> HttpResponse:
    consultation = consultation_get_for_user(request.user, consultation_id)
    return render(request, "engagement/console/consultation_detail.html", {
        "consultation": consultation, "sections": consultation.sections.all(),
        "statements": consultation.statements.all(),
        "summary": participation_summary(consultation),
        "can_manage": can_manage(request.user, consultation.organisation),
        "document_editable": consultation.status == ConsultationStatus.DRAFT
        or consultation.phase() == Phase.INFORMATION,
        "section_form": ConsultationSectionForm(), "statement_form": StatementForm(),
    })


@login_required
@require_POST
def consultation_action(request: StaffRequest, consultation_id: int, action: str
                        ) -> HttpResponse:
    consultation = consultation_get_for_user(request.user, consultation_id)
    _managed(request, consultation)
    try:
        if action == "publish":
            service.consultation_publish(actor=request.user, consultation=consultation)
            messages.success(request, _("The consultation is published."))
        elif action == "close":
            service.consultation_close_comments(actor=request.user, consultation=consultation)
            messages.success(request, _("Comments are closed; the analysis phase has started."))
        elif action == "publish-response":
            service.consultation_response_publish(
                actor=request.user, consultation=consultation,
                summary=request.POST.get("summary", ""))
            messages.success(request, _("The response is published. Participants who asked "
                                        "will be told by email."))
            return redirect("engagement:consultation_themes", consultation.pk)
        else:
            raise Http404("No such action")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        if action == "publish-response":
            return redirect("engagement:consultation_themes", consultation.pk)
    return redirect("engagement:consultation", consultation.pk)


def _section_form_page(request: StaffRequest, consultation: Any, section: Any = None
                       ) -> HttpResponse:
    _managed(request, consultation)
    initial = {}
    if section is not None:
        initial = {"title": section.title, "body": section.body,
                   **initial_translations(section.translations, ("title", "body"))}
    form = ConsultationSectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service.consultation_section_save(
                actor=request.user, consultation=consultation, title=data["title"],
                body=data["body"], translations=merge_translations(data, ("title", "body")),
                section=section)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Section saved."))
            return redirect("engagement:consultation", consultation.pk)
    return render(request, "engagement/console/consultation_form.html", {
        "form": form, "consultation": consultation,
        "here": str(section) if section else _("New section")},
        status=400 if form.errors else 200)


@login_required
def consultation_section_new(request: StaffRequest, consultation_id: int) -> HttpResponse:
    return _section_form_page(request, consultation_get_for_user(request.user, consultation_id))


@login_required
def consultation_section_edit(request: StaffRequest, section_id: int) -> HttpResponse:
    section = section_get_for_user(request.user, section_id)
    return _section_form_page(request, section.consultation, section)


@login_required
@require_POST
def consultation_statement_new(request: StaffRequest, consultation_id: int) -> HttpResponse:
    consultation = consultation_get_for_user(request.user, consultation_id)
    _managed(request, consultation)
    form = StatementForm(request.POST)
    if form.is_valid():
        try:
            service.statement_seed(actor=request.user, consultation=consultation,
                                   text=form.cleaned_data["text"],
                                   translations=merge_translations(form.cleaned_data,
                                                                   ("text",)))
            messages.success(request, _("Statement added."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("engagement:consultation", consultation.pk)


@login_required
def consultation_moderation(request: StaffRequest, consultation_id: int) -> HttpResponse:
    consultation = consultation_get_for_user(request.user, consultation_id)
    _managed(request, consultation)
    return render(request, "engagement/console/consultation_moderation.html", {
        "consultation": consultation, **moderation_queue(consultation)})


@login_required
@require_POST
def comment_decide(request: StaffRequest, comment_id: int) -> HttpResponse:
    comment = comment_get_for_user(request.user, comment_id)
    _managed(request, comment.consultation)
    try:
        moderation.comment_moderate(actor=request.user, comment=comment,
                                    outcome=request.POST.get("outcome", ""),
                                    reason=request.POST.get("reason", ""))
        messages.success(request, _("Decision recorded."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("engagement:consultation_moderation", comment.consultation_id)


@login_required
@require_POST
def appeal_decide(request: StaffRequest, decision_id: int) -> HttpResponse:
    decision = decision_get_for_user(request.user, decision_id)
    _managed(request, decision.comment.consultation)
    try:
        moderation.appeal_decide(actor=request.user, decision=decision,
                                 upheld=request.POST.get("upheld") == "yes",
                                 reason=request.POST.get("reason", ""))
        messages.success(request, _("Appeal decided."))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
    return redirect("engagement:consultation_moderation", decision.comment.consultation_id)


@login_required
@require_POST
def statement_decide(request: StaffRequest, statement_id: int) -> HttpResponse:
    statement = statement_get_for_user(request.user, statement_id)
    _managed(request, statement.consultation)
    try:
        moderation.statement_moderate(actor=request.user, statement=statement,
                                      outcome=request.POST.get("outcome", ""))
        messages.success(request, _("Decision recorded."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("engagement:consultation_moderation", statement.consultation_id)


@login_required
def consultation_themes(request: StaffRequest, consultation_id: int) -> HttpResponse:
    consultation = consultation_get_for_user(request.user, consultation_id)
    _managed(request, consultation)
    editing = None
    if request.GET.get("theme") or request.POST.get("theme"):
        editing = consultation.themes.filter(
            pk=_int(request.GET.get("theme") or request.POST.get("theme"))).first()
        if editing is None:
            raise Http404("No such theme")
    initial = {}
    if editing is not None:
        response = getattr(editing, "response", None)
        initial = {"title": editing.title, "said": editing.said,
                   "did": response.did if response else "",
                   **initial_translations(editing.translations, ("title", "said")),
                   **initial_translations(response.translations if response else {},
                                          ("did",))}
    form = ThemeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service.theme_save(actor=request.user, consultation=consultation,
                               title=data["title"], said=data["said"], did=data["did"],
                               translations=merge_translations(data, ("title", "said", "did")),
                               theme=editing)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Theme saved."))
            return redirect("engagement:consultation_themes", consultation.pk)
    return render(request, "engagement/console/consultation_themes.html", {
        "consultation": consultation, "form": form, "editing": editing,
        "themes": consultation.themes.select_related("response")},
        status=400 if form.errors else 200)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404("Not found") from exc


@login_required
def formal_responses(request: StaffRequest, consultation_id: int) -> HttpResponse:
    consultation = consultation_get_for_user(request.user, consultation_id)
    _managed(request, consultation)
    return render(request, "engagement/console/consultation_responses.html", {
        "consultation": consultation, "responses": consultation.formal_responses.all()})


@login_required
def formal_response_attachment(request: StaffRequest, consultation_id: int,
                               response_id: int) -> FileResponse:
    """The attachment as a download, never rendered by the browser in our origin."""
    consultation = consultation_get_for_user(request.user, consultation_id)
    _managed(request, consultation)
    found = consultation.formal_responses.filter(pk=response_id).exclude(
        attachment_sha256="").first()
    if found is None:
        raise Http404("No attachment")
    try:
        handle = storage.path_for(found.attachment_sha256).open("rb")
    except (OSError, ValueError) as exc:
        raise Http404("The file is missing") from exc
    audit_record(actor=request.user, action="consultation.attachment_downloaded",
                 organisation=consultation.organisation, target=consultation,
                 details={"formal_response": found.pk})
    extension = "pdf" if found.attachment_type == "application/pdf" else \
        found.attachment_type.split("/")[-1]
    response = FileResponse(handle, as_attachment=True,
                            filename=f"formal-response-{found.pk}.{extension}",
                            content_type=found.attachment_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
