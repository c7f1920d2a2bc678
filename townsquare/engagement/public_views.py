"""Citizen pages: answer a survey one section per page, vote in a poll, and the embeds.

Every page is a plain server-rendered form (no JavaScript needed). The resume cookie holds
a random secret; the database keeps only its hash. Embeds set no cookie and may be framed
by any site; answering happens on the full page, opened from the embed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.shortcuts import render as django_render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from townsquare.core.request_context import current_origin
from townsquare.engagement import identity
from townsquare.engagement.anomalies import email_domain
from townsquare.engagement.consultation_selectors import public_consultations
from townsquare.engagement.models import (
    Channel,
    Poll,
    QuestionKind,
    RespondentMode,
    Response,
    Survey,
)
from townsquare.engagement.render import widgets
from townsquare.engagement.selectors import (
    poll_counts,
    public_poll,
    public_survey,
    public_surveys_and_polls,
    survey_structure,
)
from townsquare.engagement.services.polls import poll_vote
from townsquare.engagement.services.responses import (
    AlreadyRespondedError,
    SurveyClosedError,
    response_for_token,
    response_save_page,
    response_start,
    response_submit,
    stored_answers,
)
from townsquare.engagement.uploads import FormWithFiles
from townsquare.organisations.models import Organisation, OrganisationKind

COOKIE_AGE = 30 * 24 * 3600
EMBED_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors *")


def render(request: HttpRequest, template: str, context: dict[str, Any] | None = None,
           status: int = 200) -> HttpResponse:
    """Citizen pages show the government's name in the header, as the portal's do."""
    government = Organisation.objects.filter(kind=OrganisationKind.GOVERNMENT,
                                             parent__isnull=True, is_active=True).first()
    return django_render(request, template, {"government": government, **(context or {})},
                         status=status)


def _cookie(survey: Survey) -> str:
    return f"ts_survey_{survey.pk}"


def _address() -> str:
    origin = current_origin()
    return (origin.ip_address or "") if origin else ""


def _too_many(request: HttpRequest, person: str = "") -> HttpResponse | None:
    """A 429 page when this address or person has sent too much in the last hour."""
    limited = identity.rate_limited("address", _address(),
                                    limit=settings.ENGAGEMENT_RATE_PER_ADDRESS)
    limited |= identity.rate_limited("person", person, limit=settings.ENGAGEMENT_RATE_PER_PERSON)
    if not limited:
        return None
    return render(request, "engagement/public/message.html", {
        "title": _("Please wait a little"),
        "message": _("We received a lot of answers from your connection in a short time. "
                     "Wait a few minutes and try again; nothing you sent before is lost."),
    }, status=429)


def _closed(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "engagement/public/message.html", {
        "survey": survey, "title": str(survey),
        "message": _("This survey is not open for responses."),
    }, status=410 if survey.status == "closed" else 200)


def _current_response(request: HttpRequest, survey: Survey) -> Response | None:
    return response_for_token(survey=survey, token=request.COOKIES.get(_cookie(survey), ""))


def _with_cookie(response: HttpResponse, survey: Survey, token: str) -> HttpResponse:
    response.set_cookie(_cookie(survey), token, max_age=COOKIE_AGE, httponly=True,
                        samesite="Lax", secure=not settings.DEBUG and settings.PRODUCTION,
                        path=reverse("engagement_public:survey", args=[survey.slug]))
    return response


def surveys_index(request: HttpRequest) -> HttpResponse:
    surveys, polls = public_surveys_and_polls()
    return render(request, "engagement/public/index.html", {
        "surveys": surveys, "polls": polls, "consultations": public_consultations()})


@require_http_methods(["GET", "POST"])
def survey_start(request: HttpRequest, slug: str) -> HttpResponse:
    survey = public_survey(slug)
    current = _current_response(request, survey)
    if current is not None and current.submitted_at is not None:
        return redirect("engagement_public:thanks", slug)
    if request.method == "POST":
        if not survey.is_open():
            return _closed(request, survey)
        if current is not None:
            return redirect("engagement_public:page", slug, current.furthest_section + 1)
        if survey.respondent_mode == RespondentMode.VERIFIED:
            return redirect("engagement_public:verify", slug)
        if survey.respondent_mode == RespondentMode.VERIFIED_SMS:
            return redirect("engagement_public:verify_sms", slug)
        if survey.respondent_mode == RespondentMode.ACCOUNT:
            return _start_signed_in(request, survey)
        limited = _too_many(request)
        if limited:
            return limited
        channel = Channel.EMBED if request.POST.get("channel") == "embed" else Channel.WEB
        _response, token = response_start(survey=survey, channel=channel)
        return _with_cookie(redirect("engagement_public:page", slug, 1), survey, token)
    return render(request, "engagement/public/start.html", {
        "survey": survey, "intro": survey.localised("intro"), "response": current,
        "is_open": survey.is_open(), "pages": survey.sections.count(),
        "from_embed": request.GET.get("from") == "embed",
    })


def _start_signed_in(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Account surveys: the signed-in account is the verified identity (one response each,
    by the same database constraint as email-verified respondents)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    limited = _too_many(request, person=f"account:{request.user.pk}")
    if limited:
        return limited
    try:
        response, token = response_start(
            survey=survey,
            respondent_key=identity.keyed_hash(f"account:{survey.pk}", str(request.user.pk)))
    except AlreadyRespondedError as exc:
        return render(request, "engagement/public/message.html", {
            "survey": survey, "title": str(survey), "message": " ".join(exc.messages)})
    except SurveyClosedError:
        return _closed(request, survey)
    return _with_cookie(redirect("engagement_public:page", survey.slug,
                                 response.furthest_section + 1), survey, token)


@require_http_methods(["GET", "POST"])
def survey_verify(request: HttpRequest, slug: str) -> HttpResponse:
    """Verified surveys: an emailed one-time code proves the address, then the survey starts."""
    survey = public_survey(slug)
    if survey.respondent_mode != RespondentMode.VERIFIED:
        raise Http404("Not a verified survey")
    if not survey.is_open():
        return _closed(request, survey)
    email = request.POST.get("email", "")[:254]
    step, error = "email", ""
    if request.method == "POST":
        limited = _too_many(request, person=email.lower())
        if limited:
            return limited
        try:
            if "code" in request.POST:
                step = "code"
                key = identity.email_code_check(survey_id=survey.pk, email=email,
                                                code=request.POST["code"][:20])
                response, token = response_start(survey=survey, respondent_key=key,
                                                 email_domain=email_domain(email))
                return _with_cookie(redirect("engagement_public:page", slug,
                                             response.furthest_section + 1), survey, token)
            identity.email_code_send(survey_id=survey.pk, survey_title=str(survey), email=email)
            step = "code"
        except AlreadyRespondedError as exc:
            return render(request, "engagement/public/message.html", {
                "survey": survey, "title": str(survey), "message": " ".join(exc.messages)})
        except SurveyClosedError:
            return _closed(request, survey)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return render(request, "engagement/public/verify.html", {
        "survey": survey, "step": step, "email": email, "error": error})


def survey_resume(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The "continue later" link: puts the secret back in a cookie on this device."""
    survey = public_survey(slug)
    found = response_for_token(survey=survey, token=token)
    if found is None:
        raise Http404("No such response")
    return _with_cookie(redirect("engagement_public:survey", slug), survey, token)


@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    survey = public_survey(slug)
    response = _current_response(request, survey)
    if response is None:
        return redirect("engagement_public:survey", slug)
    if response.submitted_at is not None:
        return redirect("engagement_public:thanks", slug)
    if not survey.is_open():
        return _closed(request, survey)
    sections = survey_structure(survey)
    index = number - 1
    if not 0 <= index < len(sections) or index > response.furthest_section:
        return redirect("engagement_public:page", slug, response.furthest_section + 1)
    data: Any = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        limited = _too_many(request, person=response.resume_hash)
        if limited:
            return limited
        try:
            result = response_save_page(response=response, section_index=index,
                                        data=FormWithFiles(request.POST, request.FILES))
        except SurveyClosedError:
            return _closed(request, survey)
        except AlreadyRespondedError:
            return redirect("engagement_public:thanks", slug)
        if not result.errors:
            if request.POST.get("action") == "back" and index > 0:
                return redirect("engagement_public:page", slug, index)
            if result.next_section is None:
                return redirect("engagement_public:review", slug)
            return redirect("engagement_public:page", slug, result.next_section + 1)
        data, errors = request.POST, result.errors
    section = sections[index]
    questions = list(section.questions.all())
    return render(request, "engagement/public/page.html", {
        "survey": survey, "section": section, "number": number, "pages": len(sections),
        "widgets": widgets(questions, stored_answers(response), data, errors),
        "errors": errors, "is_last": index == len(sections) - 1,
        "has_files": any(q.kind == QuestionKind.FILE for q in questions),
        "resume_url": request.build_absolute_uri(reverse(
            "engagement_public:resume", args=[slug, request.COOKIES[_cookie(survey)]])),
    }, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
def survey_review(request: HttpRequest, slug: str) -> HttpResponse:
    survey = public_survey(slug)
    response = _current_response(request, survey)
    if response is None:
        return redirect("engagement_public:survey", slug)
    if response.submitted_at is not None:
        return redirect("engagement_public:thanks", slug)
    if request.method == "POST":
        try:
            result = response_submit(response=response)
        except SurveyClosedError:
            return _closed(request, survey)
        if result.errors and result.next_section is not None:
            return redirect("engagement_public:page", slug, result.next_section + 1)
        return redirect("engagement_public:thanks", slug)
    return render(request, "engagement/public/review.html", {
        "survey": survey, "pages": survey.sections.count()})


def survey_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    survey = public_survey(slug)
    response = _current_response(request, survey)
    if response is None or response.submitted_at is None:
        return redirect("engagement_public:survey", slug)
    return render(request, "engagement/public/message.html", {
        "survey": survey, "title": _("Thank you"),
        "message": _("Your answers have been sent. Thank you for taking part."),
    })


def _embed(response: HttpResponse) -> HttpResponse:
    response.headers["Content-Security-Policy"] = EMBED_CSP
    return response


@xframe_options_exempt
def survey_embed(request: HttpRequest, slug: str) -> HttpResponse:
    survey = public_survey(slug)
    return _embed(render(request, "engagement/public/embed_survey.html", {
        "survey": survey, "intro": survey.localised("intro"), "is_open": survey.is_open()}))


def _voter_cookie(poll: Poll) -> str:
    return f"ts_poll_{poll.pk}"


def _poll_context(poll: Poll, voted_choice: int | None) -> dict[str, Any]:
    counts = poll_counts(poll)
    total = sum(n for _c, n in counts)
    return {"poll": poll, "counts": [(c, n, round(100 * n / total) if total else 0)
                                     for c, n in counts],
            "total": total, "voted_choice": voted_choice, "is_open": poll.is_open()}


@require_http_methods(["GET", "POST"])
def poll_page(request: HttpRequest, slug: str) -> HttpResponse:
    poll = public_poll(slug)
    token = request.COOKIES.get(_voter_cookie(poll), "")[:100]
    voter_key = identity.keyed_hash(f"voter:{poll.pk}", token) if token else ""
    voted = poll.votes.filter(voter_key=voter_key).first() if voter_key else None
    error = ""
    if request.method == "POST" and voted is None:
        token = token or identity.new_token()
        limited = _too_many(request, person=token)
        if limited:
            return limited
        try:
            voted, _created = poll_vote(poll=poll, choice_id=request.POST.get("choice", ""),
                                        voter_key=identity.keyed_hash(f"voter:{poll.pk}", token))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            result: HttpResponseRedirect = redirect("engagement_public:poll", slug)
            result.set_cookie(_voter_cookie(poll), token, max_age=365 * 24 * 3600,
                              httponly=True, samesite="Lax",
                              path=reverse("engagement_public:poll", args=[slug]))
            return result
    context = _poll_context(poll, voted.choice_id if voted else None)
    context.update({"error": error, "preselected": request.GET.get("choice", "")})
    return render(request, "engagement/public/poll.html", context, status=400 if error else 200)


@xframe_options_exempt
def poll_embed(request: HttpRequest, slug: str) -> HttpResponse:
    poll = public_poll(slug)
    return _embed(render(request, "engagement/public/embed_poll.html",
                         _poll_context(poll, None)))
