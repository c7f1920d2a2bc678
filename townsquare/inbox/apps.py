from django.apps import AppConfig
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
