from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    name = "townsquare.sandbox"
    label = "sandbox"
    verbose_name = _("Sandbox network")
    default_auto_field = "django.db.models.BigAutoField"
