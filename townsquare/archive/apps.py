from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "townsquare.archive"
    label = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        from townsquare.archive import navigation_registry, request_notifications  # noqa: F401
