from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "townsquare.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from townsquare.core import navigation_registry, signals  # noqa: F401
