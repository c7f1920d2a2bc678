from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    name = "townsquare.listening"
    label = "listening"
    verbose_name = _("Social listening")

    def ready(self) -> None:
        from townsquare.listening import navigation_registry, notification_texts  # noqa: F401
