from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "townsquare.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from townsquare.inbox import navigation_registry, notification_texts  # noqa: F401
        from townsquare.inbox.tasks import route_from_ingest
        from townsquare.ingest.routing import register_router

        register_router(route_from_ingest)
        post_migrate.connect(_search_index_ensure, sender=self)


def _search_index_ensure(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    # A later migration that rebuilds inbox_message on SQLite drops the search triggers.
    from django.db import connections

    from townsquare.inbox.search import sqlite_index_ensure

    sqlite_index_ensure(connections[using])
