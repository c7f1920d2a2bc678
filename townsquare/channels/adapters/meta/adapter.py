"""Base class of the three Meta adapters: configuration, the Graph client, media checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from townsquare.channels.adapters.base import (
    AdapterError,
    Attachment,
    ChannelAdapter,
    Credentials,
    RemoteRejected,
)
from townsquare.channels.adapters.meta.common import GraphConfig, load_config
from townsquare.channels.adapters.meta.graph import GraphClient


class GraphAdapter(ChannelAdapter):
    config_model: ClassVar[type[GraphConfig]]

    def __init__(self, *, credentials: Credentials, config: Mapping[str, Any]) -> None:
        super().__init__(credentials=credentials, config=config)
        network = str(self.capabilities.network)
        self.settings: GraphConfig = load_config(self.config_model, config, network=network)
        graph_settings = self.settings
        self.graph = GraphClient(
            network=network,
            base_url=graph_settings.graph_base_url,
            api_version=graph_settings.api_version,
            access_token=credentials.access_token,
            timeout_seconds=graph_settings.timeout_seconds,
            # Optional: "Require App Secret" apps need appsecret_proof on every call.
            app_secret=credentials.extra.get("app_secret", ""),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(network={self.capabilities.network!s})"

    @property
    def network(self) -> str:
        return str(self.capabilities.network)

    def check_text(self, text: str, *, limit: int | None = None, what: str = "text") -> None:
        maximum = limit or self.capabilities.text.max_length
        if len(text) > maximum:
            raise RemoteRejected(
                f"{self.network}: the {what} is {len(text)} characters; the limit is {maximum}"
            )

    def check_attachments(self, attachments: tuple[Attachment, ...]) -> None:
        media = self.capabilities.media
        if not attachments:
            return
        if media is None:
            raise RemoteRejected(f"{self.network}: media cannot be attached here")
        if len(attachments) > media.max_items:
            raise RemoteRejected(
                f"{self.network}: at most {media.max_items} media items can be attached"
            )
        for attachment in attachments:
            if attachment.mime_type not in media.mime_types:
                raise RemoteRejected(
                    f"{self.network}: {attachment.mime_type} files are not accepted "
                    f"(accepted: {', '.join(media.mime_types)})"
                )
            limit = (
                media.max_video_bytes
                if attachment.mime_type.startswith("video/")
                else media.max_image_bytes
            )
            if len(attachment.content) > limit:
                raise RemoteRejected(
                    f"{self.network}: {attachment.filename} is larger than {limit} bytes"
                )
            if media.alt_text_max is not None and len(attachment.alt_text) > media.alt_text_max:
                raise RemoteRejected(
                    f"{self.network}: alt text is limited to {media.alt_text_max} characters"
                )

    def best_effort(self, path: str, fields: str) -> dict[str, Any]:
        """A lookup after a successful write (e.g. a permalink): failing must not make the
        caller believe the write failed, so errors give an empty answer."""
        try:
            return self.graph.get(path, params={"fields": fields})
        except AdapterError:
            return {}
