"""Demo saved queries that match the sandbox simulator's traffic (sandbox/messages.py),
so `make run` shows live listening streams with sentiment and topics."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from townsquare.listening.models import AlertRule, SavedQuery
from townsquare.listening.services.alerts import alert_rule_save
from townsquare.listening.services.queries import MANAGER_ROLES, saved_query_create
from townsquare.organisations.models import Organisation, User

# (organisation slug, name, query): in the three languages residents write in.
DEMO_QUERIES = [
    (
        "transport",
        "Bus delays and fares",
        (
            '(bus OR buses OR fares OR "ticket machine" OR الحافلة OR الحافلات OR التذاكر '
            "OR 公交 OR 票价 OR 售票机) "
            "AND (late OR broken OR doubling OR متأخرة OR معطلة OR ستتضاعف OR 晚点 OR 坏了 OR 翻倍)"
        ),
    ),
    (
        "health",
        "Clinic waits and health rumours",
        (
            '(clinic OR hospital OR vaccine OR عيادة OR مستشفى OR لقاح OR 诊所 OR 医院 OR 疫苗) '
            'OR "is that real" OR "هل هذا صحيح" OR 是真的吗'
        ),
    ),
]


@dataclass(frozen=True)
class ListeningDemoSummary:
    queries: int

    def __str__(self) -> str:
        return f"Listening: {self.queries} demo saved queries"


def _manager(organisation: Organisation) -> User | None:
    membership = (
        organisation.memberships.filter(role__in=list(MANAGER_ROLES), user__is_active=True)
        .select_related("user").order_by("role", "user__username").first()
    )
    return membership.user if membership else None


@transaction.atomic
def listening_demo_load() -> ListeningDemoSummary:
    """Idempotent: a query that already exists (by organisation and name) is left alone."""
    created = 0
    for slug, name, query in DEMO_QUERIES:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            continue
        actor = _manager(organisation)
        if actor is None or SavedQuery.objects.filter(organisation=organisation,
                                                      name=name).exists():
            continue
        # Searching the networks also follows their live streams: the sandbox's public
        # stream then brings the residents' posts in as they are written.
        saved = saved_query_create(actor=actor, organisation=organisation, name=name,
                                   query=query, search_networks=True)
        if not AlertRule.objects.filter(query=saved).exists():
            # Above the simulator's usual hourly volume for one agency (about a dozen
            # matches), below a `listening_spike` burst (40 by default). The burst's
            # words ("fares", "doubling") also emerge against the usual hours.
            alert_rule_save(actor=actor, saved_query=saved, min_count=25, threshold=3.0,
                            kinds=["spike", "emerging"])
        created += 1
    return ListeningDemoSummary(created)
