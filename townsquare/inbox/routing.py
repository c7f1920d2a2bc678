"""Where a new conversation goes: routing rules in order, then the learned router, then
the receiving agency.

A rule applies to messages arriving at its organisation (or any organisation below it);
the rules of the whole-of-government office apply everywhere. No rule matched: the
government's learned router (learned_router.py) sends the message to the agency it is
at least ``INBOX_ROUTER_THRESHOLD`` sure of. Below that, a message on an account of the
communications office (the central account) waits in the triage queue, where staff
choose; a message on an agency's own account stays with that agency. The router's
suggestion is kept either way, so staff see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q

from townsquare.inbox.detection import comparable, keyword_match, split_keywords
from townsquare.inbox.learned_router import router_suggest
from townsquare.inbox.models import RoutedBy, RoutingRule
from townsquare.organisations.models import Organisation, Team


@dataclass(frozen=True)
class Decision:
    organisation: Organisation
    team: Team | None
    routed_by: str
    rule: RoutingRule | None = None
    matched: str = ""  # the keyword that matched, shown to staff
    in_triage: bool = False
    high_priority: bool = False
    # The learned router's top confidence and candidates (Suggestion.as_json), if it ran.
    confidence: float | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)


def central_office() -> Organisation | None:
    """The whole-of-government communications office (its triage queue is everyone's)."""
    return (
        Organisation.objects.filter(sees_all_organisations=True, is_active=True)
        .order_by("path")
        .first()
    )


def rules_applying_to(receiving: Organisation) -> list[RoutingRule]:
    owners = [int(pk) for pk in receiving.path.strip("/").split("/") if pk]
    return list(
        RoutingRule.objects.filter(is_active=True, target_organisation__is_active=True)
        .filter(Q(organisation_id__in=owners) | Q(organisation__sees_all_organisations=True))
        .select_related("target_organisation", "target_team")
        .order_by("position", "id")
    )


def rule_matches(rule: RoutingRule, *, channel: str, text: str, language: str) -> str | None:
    """The matched keyword ("" when the rule has none), or None when it does not match."""
    if rule.channel and rule.channel != channel:
        return None
    if rule.language and not (language or "").startswith(rule.language):
        return None
    en, ar, zh = (split_keywords(v) for v in (rule.keywords_en, rule.keywords_ar,
                                                 rule.keywords_zh))
    if not (en or ar or zh):
        return ""
    found = keyword_match(text, en=en, ar=ar, zh=zh)
    return found or None


def route(*, receiving: Organisation, channel: str, text: str, language: str) -> Decision:
    key = comparable(text)
    for rule in rules_applying_to(receiving):
        matched = rule_matches(rule, channel=channel, text=key, language=language)
        if matched is None:
            continue
        team = rule.target_team
        if team is not None and team.organisation_id != rule.target_organisation_id:
            team = None
        return Decision(
            organisation=rule.target_organisation,
            team=team,
            routed_by=RoutedBy.RULE,
            rule=rule,
            matched=matched,
            high_priority=rule.mark_high_priority,
        )
    suggestion = router_suggest(receiving=receiving, text=text)
    learned: dict[str, Any] = {}
    if suggestion is not None:
        best, confidence = suggestion.best
        learned = {"confidence": round(confidence, 4), "candidates": suggestion.as_json()}
        if confidence >= settings.INBOX_ROUTER_THRESHOLD:
            return Decision(organisation=best, team=None, routed_by=RoutedBy.LEARNED,
                            **learned)
    if receiving.sees_all_organisations:
        return Decision(organisation=receiving, team=None, routed_by=RoutedBy.TRIAGE,
                        in_triage=True, **learned)
    return Decision(organisation=receiving, team=None, routed_by=RoutedBy.ACCOUNT, **learned)
