"""Create the sandbox network's agency and resident accounts (re-runnable)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from townsquare.sandbox.services import (
    sandbox_agency_tokens,
    sandbox_api_base_url,
    sandbox_setup,
)


class Command(BaseCommand):
    help = "Create the sandbox accounts of the demo agencies and the simulated residents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--show-tokens",
            action="store_true",
            help="Also print each agency account's access token (sandbox accounts only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = sandbox_setup()
        self.stdout.write(
            f"Sandbox network: {summary.agencies} agency accounts, {summary.citizens} residents"
            f" ({summary.welcome_posts} welcome posts). API base URL: {sandbox_api_base_url()}"
        )
        if options["show_tokens"]:
            for slug, access in sandbox_agency_tokens().items():
                self.stdout.write(f"  {slug}: @{access.username} {access.access_token}")
