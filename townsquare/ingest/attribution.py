"""Which agency a dead letter belongs to, read from its raw bytes as far as possible.

A rejected message may still name its account (``account_id`` or ``network`` +
``account_ref``); the account's organisation then sees the dead letter in its console.
Messages that cannot be read, or that name no known account, belong to nobody in
particular and are seen by the communications office only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from townsquare.channels.models import Account
from townsquare.ingest.stages import Rejected


def _account_key(raw: bytes) -> int | tuple[str, str] | None:
    try:
        message: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(message, dict):
        return None
    account_id = message.get("account_id")
    if isinstance(account_id, int) and not isinstance(account_id, bool):
        return account_id
    network, ref = message.get("network"), message.get("account_ref")
    if isinstance(network, str) and isinstance(ref, str | int) and not isinstance(ref, bool):
        return (network, str(ref))
    return None


def organisations_of(rejected: Sequence[Rejected]) -> list[int | None]:
    """The organisation id of each dead letter's account, or None."""
    keys = [_account_key(r.raw) for r in rejected]
    ids = {k for k in keys if isinstance(k, int)}
    refs = {k for k in keys if isinstance(k, tuple)}
    by_id = dict(Account.objects.filter(pk__in=ids).values_list("pk", "organisation_id"))
    by_ref: dict[tuple[str, str], int] = {}
    for network in {n for n, _r in refs}:
        wanted = [r for n, r in refs if n == network]
        for remote_id, organisation_id in Account.objects.filter(
            network=network, remote_id__in=wanted
        ).values_list("remote_id", "organisation_id"):
            by_ref[(network, remote_id)] = organisation_id
    return [
        by_id.get(k) if isinstance(k, int) else by_ref.get(k) if isinstance(k, tuple) else None
        for k in keys
    ]
