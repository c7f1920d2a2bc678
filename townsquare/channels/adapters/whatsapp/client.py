"""WhatsApp Business Cloud API adapter (thin httpx client over the Graph API).

WhatsApp has no public posts and no polling endpoint for incoming messages: they arrive
by webhook only (webhook.py), so fetch_inbound returns nothing and keeps the cursor.

Replying needs the customer's number (wa_id), which a message id does not reveal. The
reply target is therefore ``"<wa_id>"`` or ``"<wa_id>:<wamid>"`` (the second quotes the
message being answered). Inbound items carry ``conversation_id = wa_id``, and
``reply_target(item)`` builds the string.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from townsquare.channels.adapters.base import (
    AccountProfile,
    Attachment,
    Capabilities,
    FetchResult,
    InboundItem,
    MalformedResponse,
    MediaLimit,
    Network,
    NotSupported,
    PostRequest,
    PublishedPost,
    RateLimit,
    RemoteRejected,
    TextLimit,
)
from townsquare.channels.adapters.meta.adapter import GraphAdapter
from townsquare.channels.adapters.meta.common import GraphConfig, as_list, str_at

CAPTION_MAX = 1024
IMAGE_TYPES = ("image/jpeg", "image/png")
VIDEO_TYPES = ("video/mp4", "video/3gpp")
AUDIO_TYPES = ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg")
DOCUMENT_TYPES = (
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


class WhatsAppConfig(GraphConfig):
    phone_number_id: str = Field(pattern=r"^[0-9]+$")
    waba_id: str = Field(default="", pattern=r"^[0-9]*$")


def reply_target(item: InboundItem) -> str:
    """What to pass to WhatsAppAdapter.reply() to answer this inbound message."""
    return f"{item.conversation_id}:{item.remote_id}"


class WhatsAppAdapter(GraphAdapter):
    config_model = WhatsAppConfig
    settings: WhatsAppConfig
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.WHATSAPP,
        text=TextLimit(max_length=4096, counting="code_points"),  # text.body
        media=MediaLimit(
            mime_types=IMAGE_TYPES + VIDEO_TYPES + AUDIO_TYPES + DOCUMENT_TYPES,
            max_items=10,  # sent as one message each; the caption goes on the first
            max_image_bytes=5 * 1024 * 1024,
            max_video_bytes=16 * 1024 * 1024,
            alt_text_max=None,
        ),
        threads=False,
        edits=False,
        deletes=False,
        private_messages=True,
        search=False,
        metrics=False,
        webhooks=True,
        reply_semantics=(
            "Private messages only. A free-form reply is allowed within 24 hours of the "
            "customer's last message (the customer service window); after that only "
            "approved template messages. A reply may quote the message it answers."
        ),
        rate_limit=RateLimit(
            requests=80,
            per_seconds=1,
            note=(
                "80 messages/s per business phone number by default; about one message "
                "every 6 s to the same customer (pair rate limit, error 131056)"
            ),
        ),
    )

    def fetch_profile(self) -> AccountProfile:
        number = self.graph.get(
            self.settings.phone_number_id,
            params={"fields": "display_phone_number,verified_name"},
        )
        return AccountProfile(
            remote_id=str_at(number, "id") or self.settings.phone_number_id,
            handle=str_at(number, "display_phone_number"),
            display_name=str_at(number, "verified_name"),
            followers=None,  # WhatsApp has no followers
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        """Messages arrive by webhook only; there is nothing to poll."""
        return FetchResult(items=[], cursor=cursor)

    def publish(self, post: PostRequest) -> PublishedPost:
        if post.in_reply_to:
            return self.reply(post.in_reply_to, post)
        raise NotSupported(f"{self.network} has no public posts; reply to a customer instead")

    def reply(self, remote_id: str, post: PostRequest) -> PublishedPost:
        to, _, context = remote_id.partition(":")
        if not to.isdigit():
            raise RemoteRejected(
                f"{self.network}: a reply needs the customer's number (wa_id or wa_id:wamid)"
            )
        if not post.text and not post.attachments:
            raise RemoteRejected(f"{self.network}: an empty message cannot be sent")
        self.check_attachments(post.attachments)
        if post.attachments:
            self.check_text(post.text, limit=CAPTION_MAX, what="caption")
        else:
            self.check_text(post.text)
        media_ids = [self._upload(attachment) for attachment in post.attachments]
        first: str = ""
        if not post.attachments:
            first = self._send(to, context, {"type": "text", "text": {"body": post.text}})
        for index, (attachment, media_id) in enumerate(
            zip(post.attachments, media_ids, strict=True)
        ):
            kind = _media_kind(attachment.mime_type)
            media: dict[str, Any] = {"id": media_id}
            if index == 0 and post.text and kind != "audio":
                media["caption"] = post.text
            if kind == "document":
                media["filename"] = attachment.filename
            sent = self._send(to, context if index == 0 else "", {"type": kind, kind: media})
            first = first or sent
        return PublishedPost(remote_id=first, url="")

    def _upload(self, attachment: Attachment) -> str:
        answer = self.graph.post(
            f"{self.settings.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": attachment.mime_type},
            files={"file": (attachment.filename, attachment.content, attachment.mime_type)},
        )
        media_id = str_at(answer, "id")
        if not media_id:
            raise MalformedResponse(f"{self.network}: the media upload returned no id")
        return media_id

    def _send(self, to: str, context: str, message: dict[str, Any]) -> str:
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            **message,
        }
        if context:
            body["context"] = {"message_id": context}
        answer = self.graph.post(f"{self.settings.phone_number_id}/messages", json_data=body)
        messages = as_list(answer.get("messages"))
        message_id = str_at(messages[0], "id") if messages and isinstance(messages[0], dict) else ""
        if not message_id:
            raise MalformedResponse(f"{self.network}: the send answer carries no message id")
        return message_id


def _media_kind(mime_type: str) -> str:
    if mime_type in IMAGE_TYPES:
        return "image"
    if mime_type in VIDEO_TYPES:
        return "video"
    if mime_type in AUDIO_TYPES:
        return "audio"
    return "document"
