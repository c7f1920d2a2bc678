"""Which class implements each network. Imported lazily so one broken client library
cannot stop the whole platform from starting."""

from __future__ import annotations

from importlib import import_module

from townsquare.channels.adapters.base import ChannelAdapter, Network, OAuthClient, WebhookHandler

ADAPTERS: dict[Network, str] = {
    Network.MASTODON: "townsquare.channels.adapters.mastodon.client.MastodonAdapter",
    Network.BLUESKY: "townsquare.channels.adapters.bluesky.client.BlueskyAdapter",
    Network.X: "townsquare.channels.adapters.x.client.XAdapter",
    Network.FACEBOOK: "townsquare.channels.adapters.facebook.client.FacebookPageAdapter",
    Network.INSTAGRAM: "townsquare.channels.adapters.instagram.client.InstagramAdapter",
    Network.TELEGRAM: "townsquare.channels.adapters.telegram.client.TelegramAdapter",
    Network.WHATSAPP: "townsquare.channels.adapters.whatsapp.client.WhatsAppAdapter",
    Network.WEIBO: "townsquare.channels.adapters.weibo.client.WeiboAdapter",
    Network.WECHAT: "townsquare.channels.adapters.wechat.client.WeChatAdapter",
    Network.RSS: "townsquare.channels.adapters.rss.client.RssAdapter",
    Network.EMAIL: "townsquare.channels.adapters.email.client.EmailAdapter",
    Network.SMS: "townsquare.channels.adapters.sms.client.SmsAdapter",
}

WEBHOOKS: dict[Network, str] = {
    Network.FACEBOOK: "townsquare.channels.adapters.facebook.webhook.FacebookWebhook",
    Network.INSTAGRAM: "townsquare.channels.adapters.instagram.webhook.InstagramWebhook",
    Network.TELEGRAM: "townsquare.channels.adapters.telegram.webhook.TelegramWebhook",
    Network.WHATSAPP: "townsquare.channels.adapters.whatsapp.webhook.WhatsAppWebhook",
    Network.WECHAT: "townsquare.channels.adapters.wechat.webhook.WeChatWebhook",
    Network.SMS: "townsquare.channels.adapters.sms.webhook.SmsWebhook",
}


def _load(path: str) -> type:
    module_name, _, class_name = path.rpartition(".")
    found: type = getattr(import_module(module_name), class_name)
    return found


def adapter_class(network: Network | str) -> type[ChannelAdapter]:
    return _load(ADAPTERS[Network(network)])


def webhook_handler(network: Network | str) -> WebhookHandler:
    path = WEBHOOKS.get(Network(network))
    if path is None:
        raise LookupError(f"{network} has no webhook receiver")
    handler: WebhookHandler = _load(path)()
    return handler


OAUTH: dict[Network, str] = {
    Network.MASTODON: "townsquare.channels.adapters.mastodon.oauth.MastodonOAuth",
    Network.X: "townsquare.channels.adapters.x.oauth.XOAuth",
    Network.FACEBOOK: "townsquare.channels.adapters.facebook.oauth.FacebookOAuth",
    Network.INSTAGRAM: "townsquare.channels.adapters.instagram.oauth.InstagramOAuth",
    Network.WEIBO: "townsquare.channels.adapters.weibo.oauth.WeiboOAuth",
}


def oauth_client(network: Network | str, config: dict[str, object]) -> OAuthClient:
    """The OAuth client of a network; LookupError for networks connected by pasting keys."""
    path = OAUTH.get(Network(network))
    if path is None:
        raise LookupError(f"{network} is connected with keys, not OAuth")
    client: OAuthClient = _load(path)(config)
    return client
