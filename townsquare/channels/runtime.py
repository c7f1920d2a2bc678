"""Builds adapters and OAuth clients for a registered account.

An account's ``config`` holds the adapter's non-secret settings; the optional key
``"oauth"`` holds non-secret OAuth overrides for that account (e.g. a Mastodon
instance's address). The OAuth application's own id and secret are installation-wide,
from settings (OAUTH_<NETWORK>_CLIENT_ID / _CLIENT_SECRET), never stored per account.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from townsquare.channels.adapters.base import ChannelAdapter, Credentials, OAuthClient
from townsquare.channels.adapters.registry import adapter_class, oauth_client
from townsquare.channels.models import Account

OAUTH_KEY = "oauth"


def adapter_config(account: Account) -> dict[str, Any]:
    return {key: value for key, value in (account.config or {}).items() if key != OAUTH_KEY}


def oauth_config(account: Account) -> dict[str, Any]:
    installation = dict(settings.CHANNEL_OAUTH_APPS.get(account.network, {}))
    return {**installation, **(account.config or {}).get(OAUTH_KEY, {})}


def adapter_for(
    account: Account, credentials: Credentials, *, extra_config: dict[str, Any] | None = None
) -> ChannelAdapter:
    """``extra_config`` carries what the core gives at run time (e.g. a public media link
    maker for networks that fetch media from a URL); it is never stored on the account."""
    config = {**adapter_config(account), **(extra_config or {})}
    return adapter_class(account.network)(credentials=credentials, config=config)


def oauth_for(account: Account) -> OAuthClient:
    """LookupError for networks connected with keys rather than OAuth."""
    return oauth_client(account.network, oauth_config(account))
