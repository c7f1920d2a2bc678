"""`manage.py demo_totp <username>`: the current authenticator code of a demo user."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.organisations.demo import USERS_BY_NAME, demo_totp_code, demo_totp_secret


class Command(BaseCommand):
    help = (
        "Print the current six-digit sign-in code of a demo administrator or approver, and "
        "the secret to add to an authenticator app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo codes are not available in a production installation.")
        username = options["username"].strip().lower()
        demo_user = USERS_BY_NAME.get(username)
        if demo_user is None:
            raise CommandError(f"{username!r} is not a demo user.")
        secret = demo_totp_secret(username)
        # Only ever show codes for the published demo secret, never for a secret a person
        # set up themselves: compare with the authenticator actually stored.
        stored = [
            decrypt(a.data["secret"])
            for a in Authenticator.objects.filter(
                user__username=username, type=Authenticator.Type.TOTP
            )
        ]
        if secret not in stored:
            raise CommandError(
                f"{username!r} has no demo authenticator (run `manage.py load_demo`, or the "
                "user has set up their own)."
            )
        now = time.time()
        remaining = app_settings.TOTP_PERIOD - int(now) % app_settings.TOTP_PERIOD
        self.stdout.write(demo_totp_code(username, at=now))
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Valid for {remaining} more seconds. Secret for an authenticator app: {secret}"
            )
