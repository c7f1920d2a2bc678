"""`manage.py prepare_demo`: migrate, create the cache table and load the demo government
in one start of Django (what `make run` needs before it starts the servers)."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        call_command("load_demo", stdout=self.stdout)
