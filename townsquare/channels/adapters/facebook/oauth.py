"""Facebook Login for connecting a Page (see meta/oauth.py for the flow and why no PKCE)."""

from __future__ import annotations

from typing import ClassVar

from townsquare.channels.adapters.base import Network
from townsquare.channels.adapters.meta.oauth import MetaOAuth


class FacebookOAuth(MetaOAuth):
    network: ClassVar[Network] = Network.FACEBOOK
    default_scopes: ClassVar[tuple[str, ...]] = (
        "pages_show_list",
        "pages_read_engagement",
        "pages_read_user_content",
        "pages_manage_posts",
        "pages_manage_engagement",
        "pages_manage_metadata",
        "pages_messaging",
    )
