from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "townsquare.engagement"
    label = "engagement"
    verbose_name = _("Surveys and polls")

    def ready(self) -> None:
        from townsquare.engagement import navigation_registry  # noqa: F401
