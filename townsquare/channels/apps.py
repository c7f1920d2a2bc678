from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "townsquare.channels"
    label = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from townsquare.channels import navigation_registry  # noqa: F401
