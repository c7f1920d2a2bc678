from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    name = "townsquare.media"
    label = "media"
    verbose_name = _("Media")

    def ready(self) -> None:
        from townsquare.media import navigation_registry  # noqa: F401
