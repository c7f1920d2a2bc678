"""Demo posts for the Harbour Region: one going out as soon as the app runs, one scheduled
for tomorrow morning, and some waiting for review (one full of officialese, to show the
plain-language checker). They publish for real to the sandbox network's accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from townsquare.channels.models import Account
from townsquare.organisations.models import Organisation, User
from townsquare.publishing.models import Post
from townsquare.publishing.services.compose import VersionInput, post_create
from townsquare.publishing.services.workflow import (
    post_approve,
    post_publish_now,
    post_schedule,
    post_submit,
)

ROUTE_12 = {
    "en": "From Monday, route 12 runs every 10 minutes between the harbour and the old town. "
          "Plan your trip at harbour.example/route-12",
    "ar": "ابتداءً من يوم الاثنين، تعمل الحافلة رقم 12 كل 10 دقائق بين الميناء والبلدة القديمة. "
          "خطط رحلتك على harbour.example/route-12",
    "zh-hans": "从周一起，12路公交车在港口和老城之间每10分钟一班。"
               "行程查询：harbour.example/route-12",
}
ROADWORKS = {
    "en": "Roadworks on Harbour Bridge tomorrow from 10:00 to 16:00. One lane stays open in "
          "each direction. Buses 4 and 7 take the coast road.",
    "ar": "أعمال طرق على جسر الميناء غدًا من الساعة 10:00 حتى 16:00. يبقى مسار واحد مفتوحًا في "
          "كل اتجاه. الحافلتان 4 و7 تسلكان الطريق الساحلي.",
}
OFFICIALESE = {
    "en": "Pursuant to the aforementioned regulations, residents are hereby advised that "
          "utilisation of the facility shall be facilitated subsequent to the commencement "
          "of the new operational arrangements.",
}
FLU = {
    "en": "Flu vaccines are free at every health centre from 1 November. Bring your ID card.",
    "zh-hans": "从11月1日起，所有卫生中心免费接种流感疫苗。请携带身份证。",
}


@dataclass(frozen=True)
class PublishingDemoSummary:
    created: int

    def __str__(self) -> str:
        return f"Demo posts: {self.created} created (published, scheduled and in review)."


def _sandbox_account(slug: str) -> Account | None:
    return Account.objects.filter(organisation__slug=slug, network="mastodon",
                                  config__api_base_url__isnull=False).first()


def _make(organisation: Organisation, author: User, title: str, texts: dict[str, str],
          account: Account) -> Post | None:
    if Post.objects.filter(organisation=organisation, title=title).exists():
        return None
    return post_create(
        actor=author, organisation=organisation, title=title,
        versions={lang: VersionInput(text, [account]) for lang, text in texts.items()},
    )


@transaction.atomic
def publishing_demo_load() -> PublishingDemoSummary:
    """Idempotent: posts that exist already (by title) are left alone."""
    users = {u.username: u for u in User.objects.filter(
        username__in=["erin", "frank", "mei", "wei"])}
    created = 0
    transport = Organisation.objects.filter(slug="transport").first()
    account = _sandbox_account("transport")
    if transport and account and {"erin", "frank"} <= set(users):
        erin, frank = users["erin"], users["frank"]
        post = _make(transport, erin, "Route 12 every 10 minutes", ROUTE_12, account)
        if post is not None:
            post_submit(actor=erin, post=post)
            post_approve(actor=frank, post=post, seen_version=post.content_version)
            post_publish_now(actor=erin, post=post)  # goes out at the worker's next minute
            created += 1
        post = _make(transport, erin, "Harbour Bridge roadworks", ROADWORKS, account)
        if post is not None:
            post_submit(actor=erin, post=post)
            post_approve(actor=frank, post=post, seen_version=post.content_version)
            tomorrow = timezone.now().astimezone(ZoneInfo(transport.time_zone)) + dt.timedelta(
                days=1)
            post_schedule(actor=erin, post=post, date=tomorrow.date(), time=dt.time(9, 0),
                          fold=0)
            created += 1
        post = _make(transport, erin, "New operational arrangements", OFFICIALESE, account)
        if post is not None:
            post_submit(actor=erin, post=post)
            created += 1
    health = Organisation.objects.filter(slug="health").first()
    account = _sandbox_account("health")
    if health and account and "mei" in users:
        post = _make(health, users["mei"], "Free flu vaccines", FLU, account)
        if post is not None:
            post_submit(actor=users["mei"], post=post)
            created += 1
    return PublishingDemoSummary(created=created)
