"""Background work for records requests and export packages: thin wrappers around services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from townsquare.archive.services.exports import export_package_build, export_packages_resume
from townsquare.archive.services.requests import records_requests_warn


@db_task(retries=3, retry_delay=60)
def build_export(package_id: int) -> None:
    export_package_build(package_id=package_id)


@db_periodic_task(crontab(minute="*/10"))
@lock_task("archive-export-resume")
def resume_exports() -> None:
    """Packages whose worker died (lease run out) are queued again and resume."""
    export_packages_resume()


@db_periodic_task(crontab(minute="0", hour="7"))
@lock_task("archive-request-deadlines")
def warn_request_deadlines_daily() -> None:
    """Every morning: warn officers of requests due soon and of deadlines just passed."""
    records_requests_warn()
