"""The public directory of official accounts, as citizens and the API search it."""

from __future__ import annotations

from django.db.models import QuerySet

from townsquare.channels.models import Account
from townsquare.channels.selectors import public_directory


def directory_search(query: str = "", network: str = "") -> QuerySet[Account]:
    """Listed, not retired accounts of active organisations matching ``query``.

    Every term of the query must appear in the account's ``search_text`` (handle, names
    and address of the account and of its organisation in every language, normalised the
    same way as the query): one database query on SQLite and PostgreSQL alike.
    """
    return public_directory(query, network)
