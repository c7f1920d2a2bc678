"""`manage.py train_router [--topics] [--government SLUG]`: train the learned router (or
the topic classifier) of each government now and print what it learnt from."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.inbox.learned_router import TrainingRefused
from townsquare.inbox.services.learning import router_train, topics_train
from townsquare.organisations.models import Organisation


class Command(BaseCommand):
    help = (
        "Train each government's learned router from its labelled examples and staff "
        "transfers (or, with --topics, its topic classifier from staff topic corrections). "
        "Prints the examples, the held-out accuracy and the examples per organisation or "
        "topic. With too few examples it refuses and the current model stays."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--topics", action="store_true",
                            help="Train the topic classifier instead of the router.")
        parser.add_argument("--government", default="",
                            help="Address name (slug) of one government; default: every one.")

    def handle(self, *args: Any, **options: Any) -> None:
        governments = Organisation.objects.filter(parent__isnull=True, is_active=True)
        if options["government"]:
            governments = governments.filter(slug=options["government"])
            if not governments.exists():
                raise CommandError(f"No active government has the address name "
                                   f"{options['government']!r}.")
        trainer = topics_train if options["topics"] else router_train
        refused = []
        for government in governments.order_by("path"):
            try:
                report = trainer(government=government)
            except TrainingRefused as exc:
                refused.append(f"{government}: not trained, the current model stays ({exc}).")
                continue
            for line in report.lines():
                self.stdout.write(line)
        if refused:
            raise CommandError("\n".join(refused))
