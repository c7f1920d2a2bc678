"""`manage.py listening_spike`: residents of the sandbox suddenly all post about one thing,
so the demo's listening streams and spike alerts can be seen working end to end."""

from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.sandbox import services
from townsquare.sandbox.messages import PLACES, TEMPLATES, TIMES
from townsquare.sandbox.models import SandboxAccount, Visibility


class Command(BaseCommand):
    help = (
        "Post a burst of public sandbox messages on one topic to one agency (default: a "
        "rumour that bus fares double), for demonstrating listening spike alerts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", default="transport", help="Sandbox agency slug.")
        parser.add_argument("--topic", default="transport")
        parser.add_argument("--category", default="rumour")
        parser.add_argument("--count", type=int, default=40)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Refusing to post simulated messages in production.")
        count = options["count"]
        if not 1 <= count <= 1000:
            raise CommandError("--count must be between 1 and 1000.")
        templates = TEMPLATES.get(options["topic"], {}).get(options["category"])
        if not templates:
            raise CommandError(
                "Unknown --topic or --category (see townsquare/sandbox/messages.py)."
            )
        agency = SandboxAccount.objects.filter(is_agency=True,
                                               agency_slug=options["agency"]).first()
        citizens = list(SandboxAccount.objects.filter(is_agency=False).order_by("pk"))
        if agency is None or not citizens:
            raise CommandError("Run `manage.py sandbox_setup` first (no such sandbox agency).")
        rng = random.Random()  # noqa: S311 - simulated chatter, not security
        for _ in range(count):
            citizen = rng.choice(citizens)
            language = citizen.language if citizen.language in templates else "en"
            body = rng.choice(templates[language]).format(
                place=rng.choice(PLACES[language]), number=rng.randint(2, 99),
                time=rng.choice(TIMES[language]),
            )
            services.status_create(account=citizen, text=f"@{agency.username} {body}",
                                   visibility=Visibility.PUBLIC, language=language)
        self.stdout.write(f"Posted {count} messages to @{agency.username}.")
