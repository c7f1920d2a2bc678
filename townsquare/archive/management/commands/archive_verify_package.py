"""Check an export package as an outsider would: files, chain proofs, checkpoint signatures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.archive.services.package_proof import (
    PackageProblem,
    package_verify,
    read_public_key_file,
)


class Command(BaseCommand):
    help = ("Verify an archive export package: every file's SHA-256 against the manifest, "
            "every record's chain proof and every checkpoint signature. Needs no database.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("package", type=Path, help="the package's zip file")
        parser.add_argument(
            "--public-key", type=Path, default=None,
            help="the archive's published public key: a file holding its base64, or the "
                 "JSON written by archive_checkpoint_export. Without it the key inside the "
                 "package is used, which proves integrity but not who signed it.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = (read_public_key_file(options["public_key"])
                   if options["public_key"] is not None else None)
            report = package_verify(options["package"], public_key=key)
        except PackageProblem as exc:
            raise CommandError(f"The package does not verify: {exc}") from exc
        except (OSError, ValueError) as exc:
            raise CommandError(f"The package cannot be read: {exc}") from exc
        self.stdout.write(
            f"Files checked: {report.files}\nRecords proven: {report.records}\n"
            f"Chain entries checked: {report.entries}\n"
            f"Checkpoints verified: {report.checkpoints} (key {report.key_id})")
        if report.key_from_package:
            self.stdout.write(self.style.WARNING(
                "Checked against the public key inside the package; give --public-key with "
                "the key the archive publishes to prove who signed it."))
        self.stdout.write(self.style.SUCCESS("The package verifies."))
