"""The whole loop over the real Mastodon adapter and the sandbox's live endpoints: a
citizen's private message is polled, becomes a conversation, and our answer appears on
the sandbox network as a private reply to it."""

from __future__ import annotations

import pytest

from townsquare.channels.adapters.base import Credentials
from townsquare.channels.services.accounts import account_create
from townsquare.channels.services.credentials import credentials_store
from townsquare.channels.services.inbound import account_poll
from townsquare.inbox.models import Conversation, SendState
from townsquare.inbox.services.ingest import inbound_items_ingest_new
from townsquare.inbox.services.replies import conversation_reply
from townsquare.sandbox import services
from townsquare.sandbox.models import SandboxAccount, SandboxStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_private_message_in_answer_out_on_the_sandbox(live_server, government, bob):
    tokens = services.sandbox_agency_tokens()
    access = tokens["transport"]
    account = account_create(
        actor=None, organisation=government["transport"], network="mastodon",
        handle=f"@{access.username}@sandbox", display_name="Transport",
        config={"api_base_url": f"{live_server.url}/sandbox"},
    )
    credentials_store(actor=None, account=account,
                      credentials=Credentials(access_token=access.access_token))
    account.refresh_from_db()
    citizen = SandboxAccount.objects.get(username="fatima_z")
    question, _ = services.status_create(
        account=citizen, text=f"@{access.username} الحافلة 42 متأخرة كل يوم",
        visibility="direct", in_reply_to=None, language="ar",
    )
    assert account_poll(account=account).status == "ok"
    inbound_items_ingest_new()
    conversation = Conversation.objects.get()
    assert conversation.organisation == government["transport"]
    assert conversation.messages.get().is_private

    answer = conversation_reply(actor=bob, conversation=conversation,
                                text="نعتذر، نتحقق من الخط 42 الآن.")
    answer.refresh_from_db()  # sent at commit by the (immediate) task
    assert answer.send_state == SendState.SENT, answer.failure_reason
    published = SandboxStatus.objects.get(pk=answer.remote_id)
    assert published.in_reply_to_id == question.pk
    assert published.visibility == "direct"
    assert "الخط 42" in published.text

    # Polling again brings our own answer back: it is not a citizen message.
    account_poll(account=account)
    inbound_items_ingest_new()
    assert conversation.messages.count() == 2
