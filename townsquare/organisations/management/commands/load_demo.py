"""`manage.py load_demo`: create the Harbour Region demo government (used by `make run`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.organisations.demo import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo government (the Harbour Region) with staff users in every role. "
        "Does nothing when a government already exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing on success.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            # The demo accounts share a published password and published TOTP secrets.
            raise CommandError("Refusing to load demo accounts into a production installation.")
        try:
            summary = demo_load()
        except ValidationError as exc:
            raise CommandError(f"The demo data could not be loaded: {exc.messages}") from exc
        from townsquare.channels.demo import channels_demo_load

        channels = channels_demo_load()
        from townsquare.publishing.demo import publishing_demo_load

        posts = publishing_demo_load()
        from townsquare.inbox.demo import inbox_demo_load

        inbox = inbox_demo_load()
        from townsquare.engagement.demo import engagement_demo_load

        engagement = engagement_demo_load()
        from townsquare.listening.demo import listening_demo_load

        listening = listening_demo_load()
        from townsquare.archive.demo import archive_demo_load

        archive = archive_demo_load()
        if not options["quiet"]:
            self.stdout.write(str(summary))
            self.stdout.write(str(channels))
            self.stdout.write(str(posts))
            self.stdout.write(str(inbox))
            self.stdout.write(str(engagement))
            self.stdout.write(str(listening))
            self.stdout.write(str(archive))
