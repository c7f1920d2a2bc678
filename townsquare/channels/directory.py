"""The public directory of official accounts, as citizens and the API search it."""

from __future__ import annotations

import unicodedata

from django.db.models import Q, QuerySet

from townsquare.channels.models import Account
from townsquare.channels.selectors import public_directory
from townsquare.organisations.models import Organisation


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _organisations_named(query: str) -> list[int]:
    """Organisations whose name in any language contains ``query``.

    Translated names live in a JSON column that SQLite stores with \\u escapes, so a
    database ``icontains`` misses Arabic and Chinese names; the list of organisations is
    short, so it is matched here instead.
    """
    wanted = _fold(query)
    ids = []
    for org in Organisation.objects.filter(is_active=True).only(
        "pk", "name", "short_name", "slug", "translations"
    ):
        names = [org.name, org.short_name, org.slug]
        names += [t.get("name", "") for t in (org.translations or {}).values()]
        names += [t.get("short_name", "") for t in (org.translations or {}).values()]
        if any(wanted in _fold(name) for name in names if name):
            ids.append(org.pk)
    return ids


def directory_search(query: str = "", network: str = "") -> QuerySet[Account]:
    """Listed, not retired accounts of active organisations matching ``query``."""
    everything = public_directory("", network)
    query = query.strip()
    if not query:
        return everything
    matched = public_directory(query, network).values("pk")
    return everything.filter(Q(pk__in=matched) | Q(organisation_id__in=_organisations_named(query)))
