"""Check the archive's hash chain, signed checkpoints and media files; exit 1 if broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from townsquare.archive.services import archive_verify
from townsquare.core.services import audit_record


class Command(BaseCommand):
    help = "Verify the records archive: every chain entry, checkpoint signature and media file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--skip-media", action="store_true", help="do not re-hash the media files"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = archive_verify(check_media=not options["skip_media"])
        audit_record(actor=None, action="archive.verified", actor_label="manage.py",
                     details={"ok": report.ok, "entries": report.entries,
                              "problems": len(report.problems)})
        last = report.last_checkpoint
        self.stdout.write(
            f"Chain entries checked: {report.entries} (head {report.head_seq})\n"
            f"Checkpoints checked: {report.checkpoints}"
            + (f" (last at entry {last.seq}, signed {last.signed_at.isoformat()})" if last else "")
            + f"\nMedia files checked: {report.media_files}"
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("The archive verifies: nothing was changed."))
            return
        first = report.first_broken_entry or report.problems[0]
        where = []
        if first.seq is not None:
            where.append(f"entry {first.seq}")
        if first.record_id is not None:
            where.append(f"record {first.record_id}")
        if first.media_sha256:
            where.append(f"media {first.media_sha256}")
        self.stdout.write(f"FIRST BROKEN: {', '.join(where)}: {first.message}")
        for problem in report.problems:
            self.stdout.write(f"  - {problem.message}")
        raise CommandError(f"The archive does not verify: {len(report.problems)} problem(s).")
