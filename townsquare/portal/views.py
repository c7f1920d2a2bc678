"""The citizen-facing site: public information about the government's organisations."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from townsquare.organisations.models import OrganisationKind
from townsquare.organisations.selectors import public_organisations


def home(request: HttpRequest) -> HttpResponse:
    organisations = list(public_organisations())
    government = next((o for o in organisations if o.kind == OrganisationKind.GOVERNMENT), None)
    agencies = [
        o
        for o in organisations
        if o.kind not in (OrganisationKind.GOVERNMENT, OrganisationKind.NGO)
    ]
    partners = [o for o in organisations if o.kind == OrganisationKind.NGO]
    return render(
        request,
        "portal/home.html",
        {"government": government, "agencies": agencies, "partners": partners},
    )


def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    found = public_organisations().filter(slug=slug).first()
    if found is None:
        raise Http404("No such organisation")
    return render(
        request,
        "portal/organisation.html",
        {
            "organisation": found,
            "description": found.localised("description"),
            "children": public_organisations().filter(parent=found),
        },
    )
