"""What citizens do on the citizen site: write through the contact form."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from townsquare.core.services import audit_record
from townsquare.core.text import normalise_name, validate_name
from townsquare.inbox.models import WEB, Conversation, Direction, Message
from townsquare.inbox.routing import central_office, route
from townsquare.inbox.search import message_search_text
from townsquare.inbox.services.conversations import (
    chosen_decision,
    contact_for_identity,
    conversation_open,
    flags_of,
    language_of,
)
from townsquare.inbox.services.work import clean_text
from townsquare.organisations.models import Organisation

MAX_CONTACT_FORM_LENGTH = 10_000


@transaction.atomic
def contact_form_submit(
    *, name: str, reply_to: str, text: str, organisation: Organisation | None,
    language: str = "",
) -> Conversation:
    """A message from the contact form. Without a chosen organisation it goes through the
    routing rules of the communications office, and to its triage queue if none match."""
    name = normalise_name(name or "")
    if name:
        validate_name(name)
    reply_to = normalise_name(reply_to or "")
    if reply_to:
        validate_name(reply_to)
    text = clean_text(text, max_length=MAX_CONTACT_FORM_LENGTH, what=_("message"))
    if organisation is not None and not organisation.is_active:
        raise ValidationError(_("Choose an organisation from the list."), code="organisation")
    language = language_of(text, "") or language
    # A form has no account to recognise a returning citizen by: each message is a new
    # contact, which staff can link to the citizen's other identities.
    contact = contact_for_identity(
        channel=WEB, remote_author_id=f"web:{secrets.token_hex(8)}", handle=reply_to,
        display_name=name, language=language,
    )
    if organisation is None:
        office = central_office()
        if office is None:
            raise ValidationError(_("Choose an organisation from the list."),
                                  code="organisation")
        decision = route(receiving=office, channel=WEB, text=text, language=language)
    else:
        decision = chosen_decision(organisation)
    conversation = conversation_open(
        contact=contact, channel=WEB, decision=decision, flags=flags_of(text),
        language=language,
    )
    Message.objects.create(
        conversation=conversation, direction=Direction.INBOUND, text=text,
        search_text=message_search_text(text),
        author_contact=contact, language=language,
    )
    audit_record(actor=None, action="conversation.contact_form",
                 organisation=conversation.organisation, target=conversation,
                 actor_label="citizen")
    return conversation
