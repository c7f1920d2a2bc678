"""Citizen pages of the inbox: look up a tracking number, write to the government."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from townsquare.inbox.forms import ContactForm, RatingForm, TrackForm
from townsquare.inbox.ratelimit import CONTACT_LIMIT, TRACK_LIMIT, allow
from townsquare.inbox.selectors import public_status
from townsquare.inbox.services.citizen import contact_form_submit
from townsquare.inbox.services.satisfaction import conversation_for_rating_token, rating_record
from townsquare.inbox.tracking import tracking_number_parse
from townsquare.organisations.models import Organisation, OrganisationKind
from townsquare.organisations.selectors import public_organisations


def _government() -> Organisation | None:
    return public_organisations().filter(
        kind=OrganisationKind.GOVERNMENT, parent__isnull=True
    ).first()


def track(request: HttpRequest) -> HttpResponse:
    """Status, responsible organisation and last update: nothing the citizen wrote."""
    form = TrackForm(request.POST or None)
    found = None
    status = 200
    if request.method == "POST" and form.is_valid():
        if not allow("track", TRACK_LIMIT):
            form.add_error(None, _("Too many lookups from your connection. Wait a few minutes "
                                   "and try again."))
            status = 429
        else:
            number = tracking_number_parse(form.cleaned_data["number"])
            found = public_status(number) if number else None
            if number is None:
                form.add_error("number", _("This is not a tracking number. It looks like "
                                           "TS-7K3M-Q9X: check each letter and digit."))
            elif found is None:
                form.add_error("number", _("We found no message with this tracking number."))
    return render(request, "inbox/portal/track.html",
                  {"form": form, "found": found, "government": _government()}, status=status)


def rate(request: HttpRequest, token: str) -> HttpResponse:
    """A contact-form citizen rates the answer (the link is on the tracking page)."""
    conversation = conversation_for_rating_token(token)
    if conversation is None:
        return render(request, "inbox/portal/rate.html", {"expired": True}, status=404)
    form = RatingForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                rating_record(conversation=conversation, score=form.cleaned_data["score"],
                              comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                return render(request, "inbox/portal/rate.html", {"thanks": True})
        return render(request, "inbox/portal/rate.html",
                      {"form": form, "tracking_number": conversation.tracking_number},
                      status=400)
    return render(request, "inbox/portal/rate.html",
                  {"form": form, "tracking_number": conversation.tracking_number})


def contact(request: HttpRequest) -> HttpResponse:
    organisations = public_organisations().exclude(kind=OrganisationKind.GOVERNMENT)
    form = ContactForm(request.POST or None, organisations=organisations)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not allow("contact", CONTACT_LIMIT):
            form.add_error(None, _("Too many messages from your connection. Please try again "
                                   "in an hour, or phone us."))
            status = 429
        else:
            data = form.cleaned_data
            try:
                conversation = contact_form_submit(
                    name=data["name"], reply_to=data["reply_to"], text=data["text"],
                    organisation=data["organisation"], language=get_language() or "",
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                return render(request, "inbox/portal/contact_sent.html", {
                    "tracking_number": conversation.tracking_number,
                    "organisation": conversation.organisation,
                    "government": _government(),
                })
    elif request.method == "POST":
        status = 400
    return render(request, "inbox/portal/contact.html",
                  {"form": form, "government": _government()}, status=status)
