from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "townsquare.organisations"
    label = "organisations"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from townsquare.organisations import navigation_registry  # noqa: F401
