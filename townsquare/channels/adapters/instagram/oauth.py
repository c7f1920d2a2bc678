"""Facebook Login for an Instagram professional account (Instagram API with Facebook
Login). The flow is Facebook's (meta/oauth.py); set ``ig_user_id`` in the configuration
to receive the token of the Page linked to that account, with ``extra["ig_user_id"]``.
"""

from __future__ import annotations

from typing import ClassVar

from townsquare.channels.adapters.base import Network
from townsquare.channels.adapters.meta.oauth import MetaOAuth


class InstagramOAuth(MetaOAuth):
    network: ClassVar[Network] = Network.INSTAGRAM
    default_scopes: ClassVar[tuple[str, ...]] = (
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_comments",
        "instagram_manage_messages",
        "instagram_manage_insights",
        "pages_show_list",
        "pages_read_engagement",
        "business_management",
    )
