"""Demo data for the records archive: a post of the Government Communications Office on
the sandbox network, citizens' replies in English, Arabic and Chinese, then the post
deleted on the network.

What happens next is the real pipeline once `make run` starts the workers: the poller
receives the replies (notifications of the sandbox), the archive captures them, and the
periodic re-capture of own posts reads the post back, finds it gone and records the
deletion in the chain. A records officer (grace) can then find the deleted post and its
replies by full-text search in any of the three languages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from townsquare.archive.models import Record, RecordType
from townsquare.archive.services.recapture import OWN_POST_SOURCE
from townsquare.archive.services.records import record_capture

OFFICE_SLUG = "communications-office"
FERRY_POST = (
    "Ferry service to Pearl Island is suspended today because of high winds.\n\n"
    "بسبب الرياح القوية، تم تعليق خدمة العبّارة إلى جزيرة اللؤلؤ اليوم.\n\n"
    "因大风，今天前往珍珠岛的渡轮服务暂停。"
)
REPLIES = (
    ("sarah_j", "en", "My son is stuck on Pearl Island. When will the ferry run again?"),
    ("ahmed_k", "ar", "متى ستعود العبّارة إلى العمل؟ نحن عالقون في جزيرة اللؤلؤ"),
    ("wang_fang", "zh-hans", "渡轮什么时候恢复？我们在珍珠岛等了三个小时。"),
)


@dataclass(frozen=True)
class ArchiveDemoSummary:
    created: bool

    def __str__(self) -> str:
        if not self.created:
            return "Demo archive: already loaded."
        return ("Demo archive: a sandbox post with replies in three languages, deleted on the "
                "network (the re-capture records the deletion once the workers run).")


@transaction.atomic
def archive_demo_load(*, organisation_slug: str = OFFICE_SLUG,
                      sandbox_slug: str = OFFICE_SLUG) -> ArchiveDemoSummary:
    """Idempotent: does nothing when the demo post was made before."""
    from townsquare.channels.models import Account
    from townsquare.sandbox.models import SandboxAccount
    from townsquare.sandbox.services import agency_username, status_create, status_delete

    account = Account.objects.filter(organisation__slug=organisation_slug, network="mastodon",
                                     config__api_base_url__isnull=False).first()
    agency = SandboxAccount.objects.filter(username=agency_username(sandbox_slug)).first()
    if account is None or agency is None:
        return ArchiveDemoSummary(created=False)
    if Record.objects.filter(source=OWN_POST_SOURCE, account_handle=account.handle).exists():
        return ArchiveDemoSummary(created=False)
    post, _created = status_create(account=agency, text=FERRY_POST, language="en")
    for username, language, text in REPLIES:
        citizen = SandboxAccount.objects.filter(username=username).first()
        if citizen is not None:
            status_create(account=citizen, text=f"@{agency.username} {text}", in_reply_to=post,
                          language=language)
    # The post as the archive captured it when it was published (posted on the network
    # directly, not through Townsquare's composer).
    base = account.config["api_base_url"].rstrip("/")
    record_capture(
        source=OWN_POST_SOURCE, source_id=f"mastodon:{post.pk}",
        organisation=account.organisation, record_type=RecordType.PUBLISHED_POST,
        content=FERRY_POST, metadata={"language": "en", "parts": 1},
        network="mastodon", account_handle=account.handle, author=agency.display_name,
        remote_id=str(post.pk), url=f"{base}/@{agency.username}/{post.pk}",
        remote_created_at=post.created_at, network_time=post.created_at,
    )
    status_delete(status=post)
    return ArchiveDemoSummary(created=True)
