"""The citizen-facing site: public information about the government's organisations."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from townsquare.channels.directory import directory_search
from townsquare.channels.models import NETWORK_CHOICES
from townsquare.core.forms import clean_query
from townsquare.organisations.models import Organisation, OrganisationKind
from townsquare.organisations.selectors import public_organisations
from townsquare.publishing.public import public_posts


def _government(organisations: list[Organisation]) -> Organisation | None:
    """The root of the tree, shown in the header of every citizen page."""
    return next(
        (o for o in organisations if o.kind == OrganisationKind.GOVERNMENT and o.parent_id is None),
        None,
    )


def _tree_order(organisation: Organisation) -> list[int]:
    """Parents before children, siblings in the order they were added ("/1/10/" after "/1/2/")."""
    return [int(pk) for pk in organisation.path.strip("/").split("/") if pk]


def home(request: HttpRequest) -> HttpResponse:
    organisations = sorted(public_organisations().select_related("parent"), key=_tree_order)
    government = _government(organisations)
    not_bodies = (OrganisationKind.GOVERNMENT, OrganisationKind.NGO)
    public_bodies = [o for o in organisations if o.kind not in not_bodies]
    partners = [o for o in organisations if o.kind == OrganisationKind.NGO]
    return render(
        request,
        "portal/home.html",
        {"government": government, "agencies": public_bodies, "partners": partners},
    )


def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    found = public_organisations().filter(slug=slug).first()
    if found is None:
        raise Http404("No such organisation")
    # Ancestors for the breadcrumb, from the root down (the path is "/1/4/9/").
    ancestor_ids = [int(pk) for pk in found.path.strip("/").split("/")[:-1]]
    ancestors = list(public_organisations().filter(pk__in=ancestor_ids))
    government = ancestors[0] if ancestors else found
    return render(
        request,
        "portal/organisation.html",
        {
            "government": government if government.kind == OrganisationKind.GOVERNMENT else None,
            "organisation": found,
            "ancestors": ancestors,
            "description": found.localised("description"),
            "children": sorted(public_organisations().filter(parent=found), key=_tree_order),
            "posts": public_posts(found, limit=10),
        },
    )


def directory(request: HttpRequest) -> HttpResponse:
    """Is this account really the government's? The public directory of official accounts."""
    query = clean_query(request.GET.get("q", ""), max_length=100)
    network = request.GET.get("network", "")
    if network not in dict(NETWORK_CHOICES):
        network = ""
    accounts = directory_search(query, network)
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    government = _government(list(public_organisations().filter(parent__isnull=True)))
    params = {k: v for k, v in (("q", query), ("network", network)) if v}
    return render(
        request,
        "portal/directory.html",
        {
            "government": government,
            "query": query,
            "network": network,
            "networks": NETWORK_CHOICES,
            "page": page,
            "searched": bool(query or network),
            "query_string": urlencode(params),
        },
    )
