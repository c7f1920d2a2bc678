"""The routing hook: who hears about newly stored items.

The inbox (and anything else that reacts to new items) registers a router in its
``AppConfig.ready``; the pipeline calls every router after the batch has committed,
with the ids of the items that batch stored for the first time. A failing router is
logged and does not undo the batch: the items are stored, and the router can catch up
from the database (the archive does exactly that with its own cursor).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

Router = Callable[[list[int]], None]
_ROUTERS: list[Router] = []


def register_router(router: Router) -> None:
    if router not in _ROUTERS:
        _ROUTERS.append(router)


def unregister_router(router: Router) -> None:
    if router in _ROUTERS:
        _ROUTERS.remove(router)


def route_new_items(item_ids: list[int]) -> None:
    if not item_ids:
        return
    for router in list(_ROUTERS):
        try:
            router(item_ids)
        except Exception:  # one broken consumer must not stop the others
            logger.exception("ingest router %r failed on %d items", router, len(item_ids))
