"""Write the signed checkpoints and the public key as JSON, to publish outside the system."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.archive.services import checkpoint_create, checkpoints_export
from townsquare.core.services import audit_record


class Command(BaseCommand):
    help = "Export the archive's signed checkpoints and public key as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument(
            "--sign-now", action="store_true", help="sign the current head first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["sign_now"]:
            checkpoint_create()
        text = json.dumps(checkpoints_export(), indent=2, ensure_ascii=False) + "\n"
        output = options.get("output")
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc}") from exc
        else:
            self.stdout.write(text, ending="")
        audit_record(actor=None, action="archive.checkpoints_exported", actor_label="manage.py",
                     details={"output": output or "stdout"})
