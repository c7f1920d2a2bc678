"""The citizen page of surveys verified by SMS code: a mobile number, then the code texted
to it (engagement.sms), then the survey. Plain forms: works without JavaScript.

Nothing typed is lost: every error shows the form again with the number as typed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from townsquare.engagement import identity, sms
from townsquare.engagement.models import RespondentMode, Survey
from townsquare.engagement.public_views import _address, _closed, _too_many, _with_cookie, render
from townsquare.engagement.selectors import public_survey
from townsquare.engagement.services.responses import (
    AlreadyRespondedError,
    SurveyClosedError,
    response_start,
)

TEMPLATE = "engagement/public/verify_sms.html"


def _unavailable(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "engagement/public/message.html", {
        "survey": survey, "title": str(survey), "message": sms.unavailable_message()},
        status=503)


def _form(request: HttpRequest, survey: Survey, *, step: str, phone: str, error: str = "",
          status: int = 200) -> HttpResponse:
    return render(request, TEMPLATE, {
        "survey": survey, "step": step, "phone": phone, "error": error,
        "needs_country_code": not settings.ENGAGEMENT_SMS_COUNTRY_CODE}, status=status)


@require_http_methods(["GET", "POST"])
def survey_verify_sms(request: HttpRequest, slug: str) -> HttpResponse:
    survey = public_survey(slug)
    if survey.respondent_mode != RespondentMode.VERIFIED_SMS:
        raise Http404("Not a survey verified by SMS")
    if not survey.is_open():
        return _closed(request, survey)
    if sms.sms_account_for(survey.organisation) is None:
        return _unavailable(request, survey)
    phone = request.POST.get("phone", "")[: sms.MAX_INPUT + 1]
    # Pressing Enter in a field submits with the form's first button, but not every
    # browser or assistive tool sends its value: a code present means "check".
    action = request.POST.get("action") or ("check" if "code" in request.POST else "send")
    if request.method == "GET" or action == "change":
        return _form(request, survey, step="phone", phone=phone)
    if action == "check":
        return _check(request, survey, phone)
    return _send(request, survey, phone)


def _send(request: HttpRequest, survey: Survey, phone: str) -> HttpResponse:
    try:
        number = sms.normalise_phone(phone)
    except ValidationError as exc:
        return _form(request, survey, step="phone", phone=phone, error=" ".join(exc.messages),
                     status=400)
    limited = _too_many(request, person=number)
    if limited:
        return limited
    over = identity.rate_limited("sms-number", number,
                                 limit=settings.ENGAGEMENT_SMS_CODES_PER_NUMBER)
    over |= identity.rate_limited("sms-address", _address(),
                                  limit=settings.ENGAGEMENT_SMS_CODES_PER_ADDRESS)
    if over:
        return _form(request, survey, step="phone", phone=phone, status=429, error=_(
            "Many codes have been sent to this number or from your connection in the last "
            "hour. Wait a while, then ask again; nothing you entered is lost."))
    try:
        sms.sms_code_request(survey=survey, phone=number,
                             language=get_language() or settings.LANGUAGE_CODE)
    except sms.SmsUnavailableError:
        return _unavailable(request, survey)
    # With a worker at hand (or in tests) the text may already have failed: say so now.
    delivery = sms.delivery_status(survey_id=survey.pk, phone=number)
    if delivery is not None and delivery.state == "failed":
        return _form(request, survey, step="phone", phone=phone, error=delivery.problem)
    return _form(request, survey, step="code", phone=number)


def _check(request: HttpRequest, survey: Survey, phone: str) -> HttpResponse:
    try:
        number = sms.normalise_phone(phone)
    except ValidationError as exc:  # a tampered hidden field: start again from the number
        return _form(request, survey, step="phone", phone=phone, error=" ".join(exc.messages),
                     status=400)
    limited = _too_many(request, person=number)
    if limited:
        return limited
    try:
        key = sms.sms_code_check(survey_id=survey.pk, phone=number,
                                 code=request.POST.get("code", "")[:20])
        response, token = response_start(survey=survey, respondent_key=key)
    except AlreadyRespondedError as exc:
        return render(request, "engagement/public/message.html", {
            "survey": survey, "title": str(survey), "message": " ".join(exc.messages)})
    except SurveyClosedError:
        return _closed(request, survey)
    except ValidationError as exc:
        return _form(request, survey, step="code", phone=number, error=" ".join(exc.messages),
                     status=400)
    return _with_cookie(redirect("engagement_public:page", survey.slug,
                                 response.furthest_section + 1), survey, token)
