from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "townsquare.publishing"
    label = "publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        from townsquare.publishing import navigation_registry, notification_texts  # noqa: F401
