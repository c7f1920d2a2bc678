from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "townsquare.ingest"
    label = "ingest"
    verbose_name = _("Ingest pipeline")

    def ready(self) -> None:
        from townsquare.ingest import navigation_registry  # noqa: F401
