"""Citizen pages of consultations: the document by section with its comments, the forms to
comment, support, vote on statements and send a formal response, and "You said, we did".

Plain server-rendered forms that work without JavaScript; htmx (when present) swaps a
statement's vote in place. Commenting needs an email address confirmed with a one-time
code (a session cookie holds a random secret, the database its keyed hash); support and
statement votes go by a browser cookie, like poll votes. A refused form is shown again
with the citizen's text in it and a clear error, with status 400.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.engagement import identity
from townsquare.engagement.consultation_models import (
    MAX_COMMENT,
    MAX_STATEMENT,
    Consultation,
    Participant,
    Phase,
    VoteChoice,
)
from townsquare.engagement.consultation_selectors import (
    consultation_document,
    participant_own_comments,
    public_consultation,
    published_statements,
)
from townsquare.engagement.public_views import _too_many, render
from townsquare.engagement.services import participation
from townsquare.engagement.services.moderation import comment_appeal

COOKIE_AGE = 180 * 24 * 3600
MAX_UPLOAD_READ = 64 * 1024 * 1024


def _url(consultation: Consultation) -> str:
    return reverse("engagement_public:consultation", args=[consultation.slug])


def _set_cookie(response: HttpResponse, consultation: Consultation, name: str,
                value: str) -> HttpResponse:
    response.set_cookie(name, value, max_age=COOKIE_AGE, httponly=True, samesite="Lax",
                        secure=not settings.DEBUG and settings.PRODUCTION,
                        path=_url(consultation))
    return response


def _session_cookie(consultation: Consultation) -> str:
    return f"ts_consult_{consultation.pk}"


def _voter_cookie(consultation: Consultation) -> str:
    return f"ts_cvoter_{consultation.pk}"


def _participant(request: HttpRequest, consultation: Consultation) -> Participant | None:
    return participation.participant_for_session(
        consultation, request.COOKIES.get(_session_cookie(consultation), "")[:100])


def _voter(request: HttpRequest, consultation: Consultation) -> tuple[str, str]:
    """(the browser's voter token, its keyed hash); a new token when it has none yet."""
    token = request.COOKIES.get(_voter_cookie(consultation), "")[:100] or identity.new_token()
    return token, identity.keyed_hash(f"consultation-voter:{consultation.pk}", token)


def _existing_voter_key(request: HttpRequest, consultation: Consultation) -> str:
    token = request.COOKIES.get(_voter_cookie(consultation), "")[:100]
    return identity.keyed_hash(f"consultation-voter:{consultation.pk}", token) if token else ""


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _page(request: HttpRequest, consultation: Consultation, *, status: int = 200,
          target: str = "", errors: list[str] | None = None, value: str = "") -> HttpResponse:
    """The consultation page; after a refused form, ``target`` names the form that shows
    ``errors`` and keeps the citizen's ``value``."""
    voter_key = _existing_voter_key(request, consultation)
    participant = _participant(request, consultation)
    phase = consultation.phase()
    themes = []
    if phase == Phase.RESPONSE:
        themes = list(consultation.themes.select_related("response").order_by("position"))
    return render(request, "engagement/public/consultation.html", {
        "consultation": consultation, "phase": phase, "phase_label": consultation.phase_label(),
        "phases": Phase.choices, "is_open": consultation.is_open_for_comment(),
        "summary": consultation.localised("summary"),
        "document": consultation_document(consultation, voter_key),
        "statements": published_statements(consultation, voter_key),
        "participant": participant,
        "own_comments": participant_own_comments(participant) if participant else [],
        "has_formal_response": bool(participant and consultation.formal_responses.filter(
            participant=participant).exists()),
        "themes": themes, "error_target": target, "errors": errors or [], "value": value,
        "max_comment": MAX_COMMENT, "max_statement": MAX_STATEMENT,
        "vote_choices": VoteChoice.choices,
    }, status=status)


def consultation_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, public_consultation(slug))


def _closed(request: HttpRequest, consultation: Consultation, message: str) -> HttpResponse:
    return render(request, "engagement/public/message.html", {
        "title": str(consultation), "message": message,
        "back": _url(consultation)}, status=403)


@require_http_methods(["GET", "POST"])
def consultation_verify(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 1: the email address (a code is sent). Step 2: the code and the name to show."""
    consultation = public_consultation(slug)
    if not consultation.is_open_for_comment():
        return _closed(request, consultation, _("This consultation is not open for comment."))
    email = request.POST.get("email", "")[:254]
    step, errors = "email", {}
    values: dict[str, Any] = {k: request.POST.get(k, "")[:300]
                              for k in ("name", "organisation_name")}
    values["notify"] = request.POST.get("notify") == "on"
    if request.method == "POST":
        limited = _too_many(request, person=email.lower())
        if limited:
            return limited
        try:
            if "code" in request.POST:
                step = "code"
                participant, token = participation.participant_verify(
                    consultation=consultation, email=email, code=request.POST["code"],
                    name=values["name"], organisation_name=values["organisation_name"],
                    notify=bool(values["notify"]))
                messages.success(request, _("Thank you, %(name)s. You can now comment.")
                                 % {"name": participant.name})
                return _set_cookie(redirect(_url(consultation) + "#document"), consultation,
                                   _session_cookie(consultation), token)
            participation.participant_code_send(consultation=consultation, email=email)
            step = "code"
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"email": exc.messages}
    return render(request, "engagement/public/consultation_verify.html", {
        "consultation": consultation, "step": step, "email": email, "errors": errors,
        "values": values}, status=400 if errors else 200)


def _participant_or_redirect(request: HttpRequest, consultation: Consultation
                             ) -> Participant | HttpResponse:
    participant = _participant(request, consultation)
    if participant is None:
        messages.info(request, _("Confirm your email address first; nothing is published "
                                 "without it."))
        return redirect("engagement_public:consultation_verify", consultation.slug)
    return participant


@require_POST
def consultation_comment(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = public_consultation(slug)
    target = request.POST.get("form", "whole")[:20]
    participant = _participant_or_redirect(request, consultation)
    if isinstance(participant, HttpResponse):
        return participant
    limited = _too_many(request, person=participant.key)
    if limited:
        return limited
    try:
        comment = participation.comment_submit(
            consultation=consultation, participant=participant,
            body=request.POST.get("body", ""), section_id=request.POST.get("section"),
            parent_id=request.POST.get("parent"),
            as_organisation=request.POST.get("as_organisation") == "on")
    except participation.ConsultationClosedError as exc:
        return _closed(request, consultation, " ".join(exc.messages))
    except ValidationError as exc:
        return _page(request, consultation, status=400, target=target, errors=_errors(exc),
                     value=request.POST.get("body", ""))
    if comment.state == "published":
        messages.success(request, _("Your comment is published."))
    else:
        messages.success(request, _("Thank you. Your comment will appear once a moderator "
                                    "has read it."))
    anchor = f"#comment-{comment.pk}" if comment.state == "published" else "#your-comments"
    return redirect(_url(consultation) + anchor)


def _with_voter(response: HttpResponse, consultation: Consultation, token: str) -> HttpResponse:
    return _set_cookie(response, consultation, _voter_cookie(consultation), token)


@require_POST
def consultation_support(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = public_consultation(slug)
    token, voter_key = _voter(request, consultation)
    limited = _too_many(request, person=token)
    if limited:
        return limited
    comment_id = request.POST.get("comment")
    section_id = request.POST.get("section")
    try:
        participation.support_set(consultation=consultation, voter_key=voter_key,
                                  stance=request.POST.get("stance", ""),
                                  comment_id=comment_id, section_id=section_id)
    except participation.ConsultationClosedError as exc:
        return _closed(request, consultation, " ".join(exc.messages))
    except ValidationError as exc:
        return _page(request, consultation, status=400, target="support", errors=_errors(exc))
    messages.success(request, _("Your view has been counted."))
    anchor = f"#comment-{comment_id}" if comment_id else f"#section-{section_id}"
    return _with_voter(redirect(_url(consultation) + anchor), consultation, token)


@require_POST
def consultation_vote(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = public_consultation(slug)
    token, voter_key = _voter(request, consultation)
    limited = _too_many(request, person=token)
    if limited:
        return limited
    statement_id = request.POST.get("statement", "")
    try:
        vote = participation.statement_vote(consultation=consultation, voter_key=voter_key,
                                            statement_id=statement_id,
                                            vote=request.POST.get("vote", ""))
    except participation.ConsultationClosedError as exc:
        return _closed(request, consultation, " ".join(exc.messages))
    except ValidationError as exc:
        return _page(request, consultation, status=400, target="statements",
                     errors=_errors(exc))
    if request.headers.get("HX-Request"):
        response = render(request, "engagement/public/_statement.html", {
            "consultation": consultation, "statement": vote.statement, "my_vote": vote.vote,
            "vote_choices": VoteChoice.choices, "is_open": True, "just_voted": True})
    else:
        messages.success(request, _("Your vote has been counted. You can change it."))
        response = redirect(_url(consultation) + f"#statement-{vote.statement_id}")
    return _with_voter(response, consultation, token)


@require_POST
def consultation_statement(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = public_consultation(slug)
    participant = _participant_or_redirect(request, consultation)
    if isinstance(participant, HttpResponse):
        return participant
    limited = _too_many(request, person=participant.key)
    if limited:
        return limited
    try:
        participation.statement_submit(consultation=consultation, participant=participant,
                                       text=request.POST.get("text", ""))
    except participation.ConsultationClosedError as exc:
        return _closed(request, consultation, " ".join(exc.messages))
    except ValidationError as exc:
        return _page(request, consultation, status=400, target="new_statement",
                     errors=_errors(exc), value=request.POST.get("text", ""))
    messages.success(request, _("Thank you. Your statement will appear once a moderator has "
                                "read it."))
    return redirect(_url(consultation) + "#statements")


@require_POST
def consultation_appeal(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = public_consultation(slug)
    participant = _participant_or_redirect(request, consultation)
    if isinstance(participant, HttpResponse):
        return participant
    decision = request.POST.get("decision", "")[:20]
    try:
        comment_appeal(participant=participant, decision_id=decision,
                       text=request.POST.get("appeal", ""))
    except ValidationError as exc:
        return _page(request, consultation, status=400, target="appeal", errors=_errors(exc),
                     value=request.POST.get("appeal", ""))
    messages.success(request, _("Your appeal has been sent. Another moderator will look at it."))
    return redirect(_url(consultation) + "#your-comments")


@require_http_methods(["GET", "POST"])
def consultation_respond(request: HttpRequest, slug: str) -> HttpResponse:
    """The formal response: a longer text with an optional PDF or image attached."""
    consultation = public_consultation(slug)
    if not consultation.is_open_for_comment():
        return _closed(request, consultation, _("This consultation is not open for comment."))
    participant = _participant_or_redirect(request, consultation)
    if isinstance(participant, HttpResponse):
        return participant
    if consultation.formal_responses.filter(participant=participant).exists():
        return render(request, "engagement/public/message.html", {
            "title": str(consultation), "back": _url(consultation),
            "message": _("You have already sent a formal response. Thank you.")})
    errors: dict[str, list[str]] = {}
    body = request.POST.get("body", "")
    if request.method == "POST":
        limited = _too_many(request, person=participant.key)
        if limited:
            return limited
        upload = request.FILES.get("attachment")
        try:
            if upload is not None and upload.size and upload.size > MAX_UPLOAD_READ:
                raise ValidationError({"attachment": _("This file is too large.")})
            participation.formal_response_submit(
                consultation=consultation, participant=participant, body=body,
                as_organisation=request.POST.get("as_organisation") == "on",
                attachment=upload.read() if upload is not None else None,
                attachment_name=(upload.name or "") if upload is not None else "")
        except participation.ConsultationClosedError as exc:
            return _closed(request, consultation, " ".join(exc.messages))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {
                "body": exc.messages}
        else:
            messages.success(request, _("Your formal response has been received. Thank you."))
            return redirect(_url(consultation))
    return render(request, "engagement/public/consultation_respond.html", {
        "consultation": consultation, "participant": participant, "errors": errors,
        "body": body, "max_bytes": settings.CONSULTATION_ATTACHMENT_MAX_BYTES,
    }, status=400 if errors else 200)


