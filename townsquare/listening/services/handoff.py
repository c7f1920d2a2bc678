"""An alert becomes work: an inbox conversation for the agency.

The conversation carries the alert's summary and a few example posts, so whoever picks
it up in the inbox sees what happened without opening listening. One conversation per
alert: the event row is locked and its link checked before anything is created, so a
double click or two staff at once get the same conversation. Audited.
"""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from townsquare.core.services import audit_record
from townsquare.inbox.models import WEB, Conversation, Direction, Message
from townsquare.inbox.rules import check_can_work_in
from townsquare.inbox.search import message_search_text
from townsquare.inbox.services.conversations import (
    chosen_decision,
    contact_for_identity,
    conversation_open,
    flags_of,
)
from townsquare.listening.models import AlertEvent, AlertKind, Match
from townsquare.listening.services.alerts import WINDOW
from townsquare.listening.services.queries import check_can_manage_queries
from townsquare.listening.services.trends import trend_text
from townsquare.organisations.models import User

EXAMPLES = 5
EXAMPLE_CHARS = 280


def _examples(event: AlertEvent) -> list[Match]:
    # A trend's period (an hour or a day) is not where its posts are: take the newest
    # posts before the alert was raised.
    end = event.window_start + WINDOW if event.kind == AlertKind.SPIKE else event.created_at
    start = event.window_start if event.kind == AlertKind.SPIKE else end - WINDOW * 24
    return list(
        Match.objects.filter(query_id=event.rule.query_id,
                             matched_at__gte=start, matched_at__lt=end)
        .order_by("-matched_at", "-id")[:EXAMPLES]
    )


def alert_summary(event: AlertEvent, examples: list[Match]) -> str:
    """The conversation's first message, in the installation's language (it is a record
    read by many staff, like the audit log's labels)."""
    with override(settings.LANGUAGE_CODE):
        when = timezone.localtime(event.window_start).strftime("%Y-%m-%d %H:%M")
        lines = [
            trend_text(event.kind, event.rule.query.name, event.detail)
        ] if event.kind != AlertKind.SPIKE else [
            ngettext("Listening alert on “%(query)s”: %(count)s post in the hour from "
                     "%(when)s, where about %(expected)s were expected.",
                     "Listening alert on “%(query)s”: %(count)s posts in the hour from "
                     "%(when)s, where about %(expected)s were expected.", event.count)
            % {"query": event.rule.query.name, "count": event.count, "when": when,
               "expected": f"{event.expected:.1f}"},
        ]
        if examples:
            lines += ["", _("Example posts:")]
            for match in examples:
                text = " ".join(match.text.split())
                if len(text) > EXAMPLE_CHARS:
                    text = text[: EXAMPLE_CHARS - 1] + "…"
                author = f"@{match.author_handle}: " if match.author_handle else ""
                link = f" {match.url}" if match.url else ""
                lines.append(f"- {author}{text}{link}")
    return "\n".join(lines)


def alert_event_to_conversation(*, actor: User, event: AlertEvent) -> Conversation:
    """The alert's inbox conversation, created the first time (idempotent)."""
    organisation = event.rule.query.organisation
    check_can_manage_queries(actor, organisation)
    check_can_work_in(actor, organisation)
    with transaction.atomic():
        locked = AlertEvent.objects.select_for_update().get(pk=event.pk)
        if locked.conversation_id is not None:
            existing = Conversation.objects.filter(pk=locked.conversation_id).first()
            if existing is not None:
                event.conversation = existing
                return existing
        examples = _examples(locked)
        networks = Counter(m.network for m in examples)
        channel = networks.most_common(1)[0][0] if networks else WEB
        text = alert_summary(event, examples)
        contact = contact_for_identity(
            channel=channel, remote_author_id=f"listening-alert:{locked.pk}",
            display_name=event.rule.query.name[:200],
        )
        conversation = conversation_open(
            contact=contact, channel=channel, decision=chosen_decision(organisation),
            flags=flags_of(text), language=settings.LANGUAGE_CODE[:16],
        )
        Message.objects.create(
            conversation=conversation, direction=Direction.INBOUND, text=text,
            search_text=message_search_text(text), author_contact=contact,
            language=settings.LANGUAGE_CODE[:16],
        )
        AlertEvent.objects.filter(pk=locked.pk).update(conversation=conversation)
        event.conversation = conversation
        audit_record(actor=actor, action="listening.alert_to_conversation",
                     organisation=organisation, target=locked,
                     details={"conversation": conversation.tracking_number,
                              "examples": len(examples)})
    return conversation
