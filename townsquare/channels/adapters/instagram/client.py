"""Instagram professional accounts through the Instagram Graph API (Facebook Login).

Thin httpx client. Inbound by polling: comments and replies on recent media, and media
the account is tagged in; @mentions in captions and comments arrive by webhook only
(fetch_mention() reads one). Publishing is the documented two-step container flow;
Instagram fetches the image itself from a public URL, which the core provides through
the ``public_media_url`` callable in the configuration.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field

from townsquare.channels.adapters.base import (
    AccountProfile,
    Attachment,
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
    TransientError,
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

REPLY_FIELDS = "id,text,timestamp,username,from,parent_id"
MEDIA_FIELDS = (
    "id,caption,timestamp,permalink,username,comments_count,"
    f"comments.limit(50){{{REPLY_FIELDS},replies.limit(50){{{REPLY_FIELDS}}}}}"
)
TAG_FIELDS = "id,caption,timestamp,permalink,username"
HASHTAG = re.compile(r"(?<!\w)#\w+")
MENTION = re.compile(r"(?<!\w)@[\w.]+")
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
DM_TEXT_MAX = 1000


class InstagramConfig(GraphConfig):
    ig_user_id: str = Field(pattern=r"^[0-9]+$")
    # The Facebook Page linked to the account: needed only to answer direct messages.
    page_id: str = Field(default="", pattern=r"^[0-9]*$")
    media_to_scan: int = Field(default=25, ge=1, le=100)
    poll_tags: bool = True  # media the account is tagged in
    # Given by the core: stores an attachment and returns a public https URL for it.
    public_media_url: Callable[[Attachment], str] | None = None
    container_poll_attempts: int = Field(default=5, ge=1, le=30)
    container_poll_seconds: float = Field(default=2.0, ge=0, le=30)


class InstagramAdapter(GraphAdapter):
    config_model = InstagramConfig
    settings: InstagramConfig
    capabilities: ClassVar[Capabilities] = Capabilities(
        network=Network.INSTAGRAM,
        # Captions: 2,200 characters, at most 30 hashtags and 20 @mentions.
        text=TextLimit(max_length=2200, counting="code_points"),
        media=MediaLimit(
            mime_types=("image/jpeg",),  # the content publishing API accepts JPEG only
            max_items=10,  # a carousel holds up to 10 items
            max_image_bytes=8 * 1024 * 1024,
            max_video_bytes=0,  # reels/videos are not supported by this adapter
            alt_text_max=1000,  # alt_text (image posts) has no documented limit
        ),
        threads=False,
        edits=False,
        deletes=True,
        private_messages=True,
        search=False,
        metrics=True,
        webhooks=True,
        reply_semantics=(
            "Replies go to a top-level comment (one nesting level). Posts need at least "
            "one JPEG image. Published posts cannot be edited or deleted through the API; "
            "comments can be deleted. Direct messages are answered within 24 hours."
        ),
        rate_limit=RateLimit(
            requests=100,
            per_seconds=86400,
            note=(
                "100 API-published posts per 24 h; Graph calls: 4,800 × impressions per "
                "24 h (business use case), watch X-Business-Use-Case-Usage"
            ),
        ),
    )

    # --- reading -----------------------------------------------------------------------

    def fetch_profile(self) -> AccountProfile:
        user = self.graph.get(
            self.settings.ig_user_id, params={"fields": "id,username,name,followers_count"}
        )
        username = str_at(user, "username")
        return AccountProfile(
            remote_id=str_at(user, "id") or self.settings.ig_user_id,
            handle=username,
            display_name=str_at(user, "name") or username,
            followers=int_at(user, "followers_count"),
            url=f"https://www.instagram.com/{username}/" if username else "",
        )

    def fetch_inbound(self, cursor: str | None) -> FetchResult:
        since = cursor_to_epoch(cursor)
        items, gap = self._comment_items(since)
        if self.settings.poll_tags:
            items.extend(self._tagged_items(since))
        newest = max((epoch_of(item.created_at) for item in items), default=since)
        items.sort(key=lambda item: item.created_at)
        return FetchResult(items=items, cursor=None if newest is None else str(newest), gap=gap)

    def _comment_items(self, since: int | None) -> tuple[list[InboundItem], bool]:
        media_list = self.graph.get(
            f"{self.settings.ig_user_id}/media",
            params={"fields": MEDIA_FIELDS, "limit": self.settings.media_to_scan},
        )
        items: list[InboundItem] = []
        gap = False
        for media in as_list(media_list.get("data")):
            if not isinstance(media, dict) or not str_at(media, "id"):
                continue
            owner = str_at(media, "username")
            comments = dict_at(media, "comments")
            fetched = 0
            for comment in as_list(comments.get("data")):
                if not isinstance(comment, dict):
                    continue
                fetched += 1
                found = [self._comment(comment, media, owner)]
                for reply in as_list(dict_at(comment, "replies").get("data")):
                    if isinstance(reply, dict):
                        found.append(self._comment(reply, media, owner))
                items.extend(i for i in found if i is not None and _is_new(i.created_at, since))
            # Instagram returns comments without a guaranteed order: when a page is full
            # and more exist, some new ones may be missing.
            if since is not None and str_at(comments, "paging", "next"):
                gap = gap or (int_at(media, "comments_count") or 0) > fetched
        return items, gap

    def _comment(
        self, comment: dict[str, Any], media: dict[str, Any], owner: str
    ) -> InboundItem | None:
        remote_id = str_at(comment, "id")
        if not remote_id:
            return None
        created = parse_graph_time(comment.get("timestamp"))
        if created is None:
            raise MalformedResponse(f"{self.network}: a comment has no timestamp")
        parent = str_at(comment, "parent_id")
        username = str_at(comment, "username") or str_at(comment, "from", "username")
        author = str_at(comment, "from", "id")
        media_id = str_at(media, "id")
        return InboundItem(
            remote_id=remote_id,
            kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
            text=clean_text(comment.get("text")),
            created_at=created,
            author_id=author,
            author_handle=username,
            url=str_at(media, "permalink"),
            in_reply_to=parent or media_id,
            conversation_id=media_id,
            is_own=author == self.settings.ig_user_id or (bool(owner) and username == owner),
            raw=comment,
        )

    def _tagged_items(self, since: int | None) -> list[InboundItem]:
        tags = self.graph.get(
            f"{self.settings.ig_user_id}/tags", params={"fields": TAG_FIELDS, "limit": 25}
        )
        items: list[InboundItem] = []
        for media in as_list(tags.get("data")):
            if not isinstance(media, dict) or not str_at(media, "id"):
                continue
            created = parse_graph_time(media.get("timestamp"))
            if created is None or not _is_new(created, since):
                continue
            items.append(self._media_mention(media, created))
        return items

    def _media_mention(self, media: dict[str, Any], created: dt.datetime) -> InboundItem:
        return InboundItem(
            remote_id=str_at(media, "id"),
            kind=ItemKind.MENTION,
            text=clean_text(media.get("caption")),
            created_at=created,
            author_id="",
            author_handle=str_at(media, "username"),
            url=str_at(media, "permalink"),
            conversation_id=str_at(media, "id"),
            raw=media,
        )

    def fetch_mention(self, *, media_id: str, comment_id: str = "") -> InboundItem:
        """Read what a "mentions" webhook pointed at (it carries only the ids)."""
        user = self.settings.ig_user_id
        if comment_id:
            answer = self.graph.get(
                user,
                params={
                    "fields": f"mentioned_comment.comment_id({comment_id})"
                    "{id,text,timestamp,username,media{id,permalink}}"
                },
            )
            comment = dict_at(answer, "mentioned_comment")
            created = parse_graph_time(comment.get("timestamp"))
            if not comment or created is None:
                raise MalformedResponse(f"{self.network}: the mentioned comment was not returned")
            return InboundItem(
                remote_id=str_at(comment, "id") or comment_id,
                kind=ItemKind.MENTION,
                text=clean_text(comment.get("text")),
                created_at=created,
                author_id="",
                author_handle=str_at(comment, "username"),
                url=str_at(comment, "media", "permalink"),
                in_reply_to=str_at(comment, "media", "id") or media_id,
                conversation_id=str_at(comment, "media", "id") or media_id,
                raw=comment,
            )
        answer = self.graph.get(
            user, params={"fields": f"mentioned_media.media_id({media_id}){{{TAG_FIELDS}}}"}
        )
        media = dict_at(answer, "mentioned_media")
        created = parse_graph_time(media.get("timestamp"))
        if not media or created is None:
            raise MalformedResponse(f"{self.network}: the mentioned media was not returned")
        return self._media_mention({"id": media_id, **media}, created)

    def fetch_metrics(self, remote_ids: list[str]) -> list[PostMetrics]:
        results: list[PostMetrics] = []
        for start in range(0, len(remote_ids), 50):
            chunk = remote_ids[start : start + 50]
            answer = self.graph.get(
                "", params={"ids": ",".join(chunk), "fields": "like_count,comments_count"}
            )
            for remote_id in chunk:
                node = dict_at(answer, remote_id)
                results.append(
                    PostMetrics(
                        remote_id=remote_id,
                        likes=int_at(node, "like_count") or 0,
                        replies=int_at(node, "comments_count") or 0,
                    )
                )
        return results

    # --- writing -----------------------------------------------------------------------

    def publish(self, post: PostRequest) -> PublishedPost:
        if post.in_reply_to:
            return self.reply(post.in_reply_to, post)
        if not post.attachments:
            raise NotSupported(
                f"{self.network}: a post needs at least one image; Instagram does not "
                "publish text on its own"
            )
        self.check_caption(post.text)
        self.check_attachments(post.attachments)
        url_for = self.settings.public_media_url
        if url_for is None:
            raise NotSupported(
                f"{self.network}: Instagram fetches images from a public URL; no "
                "public_media_url is configured"
            )
        user = self.settings.ig_user_id
        if len(post.attachments) == 1:
            container = self._container(post.attachments[0], url_for, caption=post.text)
        else:
            children = [
                self._container(attachment, url_for, carousel_item=True)
                for attachment in post.attachments
            ]
            created = self.graph.post(
                f"{user}/media",
                data={
                    "media_type": "CAROUSEL",
                    "children": ",".join(children),
                    "caption": post.text,
                },
            )
            container = _required_id(created, self.network)
        self._wait_until_ready(container)
        published = self.graph.post(f"{user}/media_publish", data={"creation_id": container})
        media_id = _required_id(published, self.network)
        details = self.best_effort(media_id, "permalink,timestamp")
        return PublishedPost(
            remote_id=media_id,
            url=str_at(details, "permalink"),
            published_at=parse_graph_time(details.get("timestamp")),
        )

    def check_caption(self, text: str) -> None:
        self.check_text(text, what="caption")
        if len(HASHTAG.findall(text)) > MAX_HASHTAGS:
            raise RemoteRejected(f"{self.network}: a caption can hold at most 30 hashtags")
        if len(MENTION.findall(text)) > MAX_MENTIONS:
            raise RemoteRejected(f"{self.network}: a caption can hold at most 20 @mentions")

    def _container(
        self,
        attachment: Attachment,
        url_for: Callable[[Attachment], str],
        *,
        caption: str = "",
        carousel_item: bool = False,
    ) -> str:
        data = {"image_url": url_for(attachment)}
        if caption:
            data["caption"] = caption
        if attachment.alt_text:
            data["alt_text"] = attachment.alt_text
        if carousel_item:
            data["is_carousel_item"] = "true"
        created = self.graph.post(f"{self.settings.ig_user_id}/media", data=data)
        return _required_id(created, self.network)

    def _wait_until_ready(self, container: str) -> None:
        """GET /{container}?fields=status_code until FINISHED (bounded)."""
        for attempt in range(self.settings.container_poll_attempts):
            status = str_at(
                self.graph.get(container, params={"fields": "status_code"}), "status_code"
            )
            if status in ("FINISHED", "PUBLISHED", ""):
                return
            if status in ("ERROR", "EXPIRED"):
                raise RemoteRejected(
                    f"{self.network}: Instagram could not process the media ({status})"
                )
            if attempt + 1 < self.settings.container_poll_attempts:
                time.sleep(self.settings.container_poll_seconds)
        raise TransientError(f"{self.network}: the media is still being processed")

    def reply(self, remote_id: str, post: PostRequest) -> PublishedPost:
        if not is_public_object_id(remote_id):
            return self._reply_direct(remote_id, post)
        if post.attachments:
            raise NotSupported(f"{self.network}: comment replies cannot carry media")
        self.check_caption(post.text)
        created = self.graph.post(f"{remote_id}/replies", data={"message": post.text})
        return PublishedPost(remote_id=_required_id(created, self.network), url="")

    def comment(self, media_id: str, post: PostRequest) -> PublishedPost:
        """A new top-level comment on a media object (e.g. one the account is tagged in)."""
        self.check_caption(post.text)
        created = self.graph.post(f"{media_id}/comments", data={"message": post.text})
        return PublishedPost(remote_id=_required_id(created, self.network), url="")

    def _reply_direct(self, message_id: str, post: PostRequest) -> PublishedPost:
        if not self.settings.page_id:
            raise NotSupported(f"{self.network}: answering direct messages needs the page_id")
        if post.attachments:
            raise NotSupported(f"{self.network}: this adapter sends text direct messages only")
        self.check_text(post.text, limit=DM_TEXT_MAX, what="message")
        message = self.graph.get(message_id, params={"fields": "from,to"})
        sender = str_at(message, "from", "id")
        if sender == self.settings.ig_user_id:
            recipients = as_list(dict_at(message, "to").get("data"))
            sender = str_at(recipients[0], "id") if recipients else ""
        if not sender:
            raise MalformedResponse(f"{self.network}: the message has no sender")
        sent = self.graph.post(
            f"{self.settings.page_id}/messages",
            json_data={"recipient": {"id": sender}, "message": {"text": post.text}},
        )
        return PublishedPost(remote_id=str_at(sent, "message_id"), url="")

    def delete(self, remote_id: str) -> None:
        """Comments only. A media object answers a media_type lookup; a comment does not."""
        if not is_public_object_id(remote_id):
            raise NotSupported(f"{self.network}: direct messages cannot be deleted")
        try:
            media = self.graph.get(remote_id, params={"fields": "media_type"})
        except RemoteRejected:
            media = {}
        if str_at(media, "media_type"):
            raise NotSupported(f"{self.network}: posts cannot be deleted through the API")
        answer = self.graph.delete(remote_id)
        if answer.get("success") is not True:
            raise RemoteRejected(f"{self.network}: the deletion was not accepted")


def _required_id(answer: dict[str, Any], network: str) -> str:
    remote_id = str_at(answer, "id")
    if not remote_id:
        raise MalformedResponse(f"{network}: the answer carries no id")
    return remote_id


def _is_new(moment: dt.datetime, since: int | None) -> bool:
    return since is None or moment.timestamp() >= since
