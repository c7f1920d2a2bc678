"""Facebook Page adapter over the Graph API (thin httpx client; Meta keeps no maintained
Python SDK for the Pages API).

Inbound by polling: comments on the Page's recent posts, visitor posts, and Messenger
conversations, with "epoch seconds" as the cursor. Webhooks (webhook.py) are the
primary path; polling catches up after an outage.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar

from pydantic import Field

from townsquare.channels.adapters.base import (
    AccountProfile,
    Capabilities,
    FetchResult,
    InboundItem,
    ItemKind,
    MalformedResponse,
    MediaLimit,
    Network,
    NotSupported,
    PostMetrics,
    PostRequest,
    PublishedPost,
    RateLimit,
    RemoteRejected,
    TextLimit,
)
from townsquare.channels.adapters.meta.adapter import GraphAdapter
from townsquare.channels.adapters.meta.common import (
    GraphConfig,
    as_list,
    clean_text,
    cursor_to_epoch,
    dict_at,
    epoch_of,
    int_at,
    is_public_object_id,
    parse_graph_time,
    str_at,
)

COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url,attachment"
FEED_FIELDS = (
    "id,message,created_time,from{id,name},permalink_url,"
    f"comments.filter(stream).order(reverse_chronological).limit(100){{{COMMENT_FIELDS}}}"
)
CONVERSATION_FIELDS = (
    "id,updated_time,messages.limit(25){id,message,created_time,from,to,attachments}"
)
METRIC_FIELDS = (
    "reactions.summary(total_count).limit(0),shares,comments.summary(total_count).limit(0)"
)
MESSENGER_TEXT_MAX = 2000
COMMENT_TEXT_MAX = 8000


class FacebookConfig(GraphConfig):
    page_id: str = Field(pattern=r"^[0-9]+$")
    posts_to_scan: int = Field(default=25, ge=1, le=100)
    # Off for Pages connected without the pages_messaging permission.
    poll_messenger: bool = True


class FacebookPageAdapter(GraphAdapter):
    config_model = FacebookConfig
    settings: FacebookConfig
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.FACEBOOK,
        # Page posts: 63,206 characters.
        text=TextLimit(max_length=63206, counting="code_points"),
        media=MediaLimit(
            # /{page-id}/photos: JPEG, PNG, GIF, BMP, TIFF, HEIF, WebP; under 4 MB.
            mime_types=(
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/bmp",
                "image/tiff",
                "image/heif",
                "image/webp",
            ),
            max_items=10,
            max_image_bytes=4 * 1024 * 1024,
            max_video_bytes=0,  # videos (/{page-id}/videos) are not supported by this adapter
            alt_text_max=1000,  # alt_text_custom has no documented limit; kept conservative
        ),
        threads=False,
        edits=True,
        deletes=True,
        private_messages=True,
        search=False,
        metrics=True,
        webhooks=True,
        reply_semantics=(
            "Public replies are comments on a post or comment (one nesting level: a reply "
            "to a reply joins the top-level comment). Messenger replies are allowed within "
            "24 hours of the person's last message; private_reply() answers a comment in "
            "Messenger once, within 7 days."
        ),
        rate_limit=RateLimit(
            requests=4800,
            per_seconds=86400,
            note=(
                "Pages business-use-case limit: 4,800 calls × engaged users per 24 h; "
                "watch X-Business-Use-Case-Usage"
            ),
        ),
    )

    # --- reading -----------------------------------------------------------------------

    def fetch_profile(self) -> AccountProfile:
        page = self.graph.get(
            self.settings.page_id,
            params={"fields": "id,name,username,followers_count,fan_count,link"},
        )
        followers = int_at(page, "followers_count")
        return AccountProfile(
            remote_id=str_at(page, "id") or self.settings.page_id,
            handle=str_at(page, "username") or str_at(page, "id"),
            display_name=str_at(page, "name"),
            followers=followers if followers is not None else int_at(page, "fan_count"),
            url=str_at(page, "link"),
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        since = cursor_to_epoch(cursor)
        items: list[InboundItem] = []
        gap = False
        feed_items, feed_gap = self._feed_items(since)
        items.extend(feed_items)
        gap = gap or feed_gap
        if self.settings.poll_messenger:
            message_items, message_gap = self._message_items(since)
            items.extend(message_items)
            gap = gap or message_gap
        newest = max((epoch_of(item.created_at) for item in items), default=since)
        items.sort(key=lambda item: item.created_at)
        return FetchResult(items=items, cursor=None if newest is None else str(newest), gap=gap)

    def _feed_items(self, since: int | None) -> tuple[list[InboundItem], bool]:
        page_id = self.settings.page_id
        feed = self.graph.get(
            f"{page_id}/feed",
            params={"fields": FEED_FIELDS, "limit": self.settings.posts_to_scan},
        )
        items: list[InboundItem] = []
        gap = False
        for post in as_list(feed.get("data")):
            if not isinstance(post, dict) or not str_at(post, "id"):
                continue
            post_id = str_at(post, "id")
            created = parse_graph_time(post.get("created_time"))
            if created and _is_new(created, since):
                author = str_at(post, "from", "id")
                own = author == page_id
                items.append(
                    InboundItem(
                        remote_id=post_id,
                        kind=ItemKind.POST if own else ItemKind.MENTION,
                        text=clean_text(post.get("message")),
                        created_at=created,
                        author_id=author,
                        author_handle=author,
                        author_name=str_at(post, "from", "name"),
                        url=str_at(post, "permalink_url"),
                        conversation_id=post_id,
                        is_own=own,
                        raw=post,
                    )
                )
            comments = dict_at(post, "comments")
            oldest: dt.datetime | None = None
            for comment in as_list(comments.get("data")):
                item = self._comment_item(comment, post_id)
                if item is None:
                    continue
                oldest = item.created_at if oldest is None else min(oldest, item.created_at)
                if _is_new(item.created_at, since):
                    items.append(item)
            # More comments than one page, all of them newer than the cursor: we missed some.
            if since is not None and str_at(comments, "paging", "next") and oldest is not None:
                gap = gap or _is_new(oldest, since)
        return items, gap

    def _comment_item(self, comment: Any, post_id: str) -> InboundItem | None:
        if not isinstance(comment, dict) or not str_at(comment, "id"):
            return None
        created = parse_graph_time(comment.get("created_time"))
        if created is None:
            raise MalformedResponse(f"{self.network}: a comment has no created_time")
        parent = str_at(comment, "parent", "id")
        author = str_at(comment, "from", "id")
        attachment_url = str_at(comment, "attachment", "media", "image", "src")
        return InboundItem(
            remote_id=str_at(comment, "id"),
            kind=ItemKind.REPLY if parent and parent != post_id else ItemKind.COMMENT,
            text=clean_text(comment.get("message")),
            created_at=created,
            author_id=author,
            author_handle=author,
            author_name=str_at(comment, "from", "name"),
            url=str_at(comment, "permalink_url"),
            in_reply_to=parent or post_id,
            conversation_id=post_id,
            is_own=author == self.settings.page_id,
            attachment_urls=(attachment_url,) if attachment_url else (),
            raw=comment,
        )

    def _message_items(self, since: int | None) -> tuple[list[InboundItem], bool]:
        page_id = self.settings.page_id
        conversations = self.graph.get(
            f"{page_id}/conversations",
            params={"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": 25},
        )
        items: list[InboundItem] = []
        gap = False
        for conversation in as_list(conversations.get("data")):
            if not isinstance(conversation, dict):
                continue
            updated = parse_graph_time(conversation.get("updated_time"))
            if updated is not None and not _is_new(updated, since):
                continue
            messages = dict_at(conversation, "messages")
            oldest: dt.datetime | None = None
            for message in as_list(messages.get("data")):
                if not isinstance(message, dict) or not str_at(message, "id"):
                    continue
                created = parse_graph_time(message.get("created_time"))
                if created is None:
                    raise MalformedResponse(f"{self.network}: a message has no created_time")
                oldest = created if oldest is None else min(oldest, created)
                if not _is_new(created, since):
                    continue
                author = str_at(message, "from", "id")
                own = author == page_id
                recipients = [r for r in as_list(dict_at(message, "to").get("data")) if r]
                other = str_at(recipients[0], "id") if own and recipients else author
                items.append(
                    InboundItem(
                        remote_id=str_at(message, "id"),
                        kind=ItemKind.DIRECT_MESSAGE,
                        text=clean_text(message.get("message")),
                        created_at=created,
                        author_id=author,
                        author_handle=author,
                        author_name=str_at(message, "from", "name"),
                        conversation_id=other,
                        is_own=own,
                        raw=message,
                    )
                )
            if since is not None and str_at(messages, "paging", "next") and oldest is not None:
                gap = gap or _is_new(oldest, since)
        return items, gap

    def fetch_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        results: list[PostMetrics] = []
        for start in range(0, len(remote_ids), 50):
            chunk = remote_ids[start : start + 50]
            answer = self.graph.get("", params={"ids": ",".join(chunk), "fields": METRIC_FIELDS})
            for remote_id in chunk:
                node = dict_at(answer, remote_id)
                results.append(
                    PostMetrics(
                        remote_id=remote_id,
                        likes=int_at(node, "reactions", "summary", "total_count") or 0,
                        shares=int_at(node, "shares", "count") or 0,
                        replies=int_at(node, "comments", "summary", "total_count") or 0,
                    )
                )
        return results

    # --- writing -----------------------------------------------------------------------

    def publish(self, post: PostRequest) -> PublishedPost:
        if post.in_reply_to:
            return self.reply(post.in_reply_to, post)
        self.check_text(post.text)
        self.check_attachments(post.attachments)
        page_id = self.settings.page_id
        if not post.attachments:
            created = self.graph.post(f"{page_id}/feed", data={"message": post.text})
            return self._published(str_at(created, "id"))
        if len(post.attachments) == 1:
            photo = self._upload_photo(post.attachments[0], caption=post.text, published=True)
            return self._published(str_at(photo, "post_id") or str_at(photo, "id"))
        # Several photos: upload each unpublished, then one feed post attaching them all.
        media_ids = [
            str_at(self._upload_photo(attachment, caption="", published=False), "id")
            for attachment in post.attachments
        ]
        data = {"message": post.text}
        for index, media_id in enumerate(media_ids):
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": media_id})
        created = self.graph.post(f"{page_id}/feed", data=data)
        return self._published(str_at(created, "id"))

    def _upload_photo(self, attachment: Any, *, caption: str, published: bool) -> dict[str, Any]:
        data = {"published": "true" if published else "false"}
        if caption:
            data["message"] = caption
        if attachment.alt_text:
            data["alt_text_custom"] = attachment.alt_text
        answer = self.graph.post(
            f"{self.settings.page_id}/photos",
            data=data,
            files={"source": (attachment.filename, attachment.content, attachment.mime_type)},
        )
        if not str_at(answer, "id"):
            raise MalformedResponse(f"{self.network}: the photo upload returned no id")
        return answer

    def reply(self, remote_id: str, post: PostRequest) -> PublishedPost:
        if not is_public_object_id(remote_id):
            return self._reply_in_messenger(remote_id, post)
        self.check_text(post.text, limit=COMMENT_TEXT_MAX, what="comment")
        if len(post.attachments) > 1:
            raise RemoteRejected(f"{self.network}: a comment can carry one photo at most")
        self.check_attachments(post.attachments)
        files = None
        if post.attachments:
            attachment = post.attachments[0]
            files = {"source": (attachment.filename, attachment.content, attachment.mime_type)}
        created = self.graph.post(f"{remote_id}/comments", data={"message": post.text}, files=files)
        return self._published(str_at(created, "id"))

    def private_reply(self, comment_id: str, post: PostRequest) -> PublishedPost:
        """Answer a comment in Messenger (private replies: once per comment, 7 days)."""
        self.check_text(post.text, limit=MESSENGER_TEXT_MAX, what="message")
        sent = self.graph.post(
            f"{self.settings.page_id}/messages",
            json_data={"recipient": {"comment_id": comment_id}, "message": {"text": post.text}},
        )
        return PublishedPost(remote_id=str_at(sent, "message_id"), url="")

    def _reply_in_messenger(self, message_id: str, post: PostRequest) -> PublishedPost:
        self.check_text(post.text, limit=MESSENGER_TEXT_MAX, what="message")
        self.check_attachments(post.attachments)
        message = self.graph.get(message_id, params={"fields": "from,to"})
        sender = str_at(message, "from", "id")
        if sender == self.settings.page_id:
            recipients = as_list(dict_at(message, "to").get("data"))
            sender = str_at(recipients[0], "id") if recipients else ""
        if not sender:
            raise MalformedResponse(f"{self.network}: the message has no sender")
        page_messages = f"{self.settings.page_id}/messages"
        first_id = ""
        if post.text:
            sent = self.graph.post(
                page_messages,
                json_data={
                    "recipient": {"id": sender},
                    "messaging_type": "RESPONSE",
                    "message": {"text": post.text},
                },
            )
            first_id = str_at(sent, "message_id")
        for attachment in post.attachments:
            sent = self.graph.post(
                page_messages,
                data={
                    "recipient": json.dumps({"id": sender}),
                    "messaging_type": "RESPONSE",
                    "message": json.dumps(
                        {"attachment": {"type": "image", "payload": {"is_reusable": False}}}
                    ),
                },
                files={"filedata": (attachment.filename, attachment.content, attachment.mime_type)},
            )
            first_id = first_id or str_at(sent, "message_id")
        if not first_id:
            raise RemoteRejected(f"{self.network}: an empty message cannot be sent")
        return PublishedPost(remote_id=first_id, url="")

    def edit(self, remote_id: str, text: str) -> PublishedPost:
        if not is_public_object_id(remote_id):
            raise NotSupported(f"{self.network}: Messenger messages cannot be edited")
        self.check_text(text)
        answer = self.graph.post(remote_id, data={"message": text})
        if answer.get("success") is not True:
            raise RemoteRejected(f"{self.network}: the edit was not accepted")
        return self._published(remote_id, lookup=False)

    def delete(self, remote_id: str) -> None:
        if not is_public_object_id(remote_id):
            raise NotSupported(f"{self.network}: Messenger messages cannot be deleted")
        answer = self.graph.delete(remote_id)
        if answer.get("success") is not True:
            raise RemoteRejected(f"{self.network}: the deletion was not accepted")

    def _published(self, remote_id: str, *, lookup: bool = True) -> PublishedPost:
        if not remote_id:
            raise MalformedResponse(f"{self.network}: the answer carries no id")
        details = self.best_effort(remote_id, "permalink_url,created_time") if lookup else {}
        return PublishedPost(
            remote_id=remote_id,
            url=str_at(details, "permalink_url") or f"https://www.facebook.com/{remote_id}",
            published_at=parse_graph_time(details.get("created_time")),
        )


def _is_new(moment: dt.datetime, since: int | None) -> bool:
    # Inclusive: two items in the same second as the cursor are both kept; the core
    # de-duplicates by remote_id.
    return since is None or moment.timestamp() >= since
