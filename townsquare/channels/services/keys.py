"""Connecting an account with keys its administrator pastes in (no OAuth consent screen).

The keys are tried against the network (the adapter's ``fetch_profile``) before anything
is saved: a wrong key, a key for another account or a network that cannot be reached
shows up while the administrator is still on the form, instead of as a silent polling
failure later. Nothing is stored unless the network accepted the keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from townsquare.channels.adapters.base import (
    AccountProfile,
    AdapterError,
    ChannelAdapter,
    Credentials,
    MalformedResponse,
    Network,
    RateLimited,
    TransientError,
)
from townsquare.channels.adapters.registry import adapter_class
from townsquare.channels.models import NETWORK_LABELS, Account
from townsquare.channels.runtime import adapter_config
from townsquare.channels.services.accounts import check_can_manage_accounts
from townsquare.channels.services.credentials import credentials_store
from townsquare.core.text import strip_bidi_controls
from townsquare.organisations.models import User


def _default_config(account: Account, config: Mapping[str, Any]) -> dict[str, Any]:
    """Required settings the form does not ask for and the account has not got yet."""
    network = Network(account.network)
    defaults: dict[str, Any] = {}
    if network == Network.TELEGRAM and not config.get("bot_username"):
        # Only known from getMe: a provisional value lets fetch_profile run, then the
        # bot's real username replaces it (_learned_config).
        defaults["bot_username"] = account.handle.lstrip("@") or "bot"
    elif network == Network.EMAIL and not config.get("address"):
        defaults["address"] = account.handle
    return defaults


def _learned_config(network: Network, profile: AccountProfile) -> dict[str, str]:
    """Settings the check taught us, saved so later calls need not look them up again."""
    if network == Network.TELEGRAM and profile.handle:
        return {"bot_username": profile.handle}
    # The account's own id marks its own posts when they come back (is_own).
    if network == Network.MASTODON and profile.remote_id:
        return {"account_id": profile.remote_id}
    if network == Network.WEIBO and profile.remote_id.isdigit():
        return {"uid": profile.remote_id}
    return {}


def _problem(exc: BaseException) -> str:
    # Adapter messages never contain credentials (ChannelAdapter's contract); bidi
    # controls are stripped so a hostile answer cannot reorder the sentence around it.
    return strip_bidi_controls(str(exc))[:200]


@sensitive_variables()
def _bluesky_session(credentials: Credentials, config: Mapping[str, Any]) -> Credentials:
    """Bluesky takes a handle and an app password and gives session tokens: the app
    password itself is never stored."""
    from townsquare.channels.adapters.bluesky import session

    return session.create_session(
        service_url=str(config.get("service_url") or session.DEFAULT_SERVICE_URL),
        identifier=credentials.extra.get("identifier", ""),
        password=credentials.extra.get("app_password", ""),
    )


@sensitive_variables()
def _check_with_network(
    account: Account, credentials: Credentials, config: dict[str, Any]
) -> tuple[AccountProfile, Credentials]:
    """The profile the network returns for these keys, or a ValidationError in words."""
    label = str(NETWORK_LABELS.get(Network(account.network), account.network))
    adapter: ChannelAdapter | None = None
    try:
        if account.network == Network.BLUESKY:
            credentials = _bluesky_session(credentials, config)
        adapter = adapter_class(account.network)(credentials=credentials, config=config)
        profile = adapter.fetch_profile()
    except ImportError as exc:
        raise ValidationError(
            _("%(network)s cannot be used on this installation: its client library is "
              "missing.") % {"network": label}
        ) from exc
    except ValueError as exc:
        raise ValidationError(
            _("These settings do not work for %(network)s: %(problem)s")
            % {"network": label, "problem": _problem(exc)}
        ) from exc
    except (TransientError, RateLimited, OSError) as exc:
        raise ValidationError(
            _("Could not reach %(network)s to check these credentials (%(problem)s). "
              "Nothing was stored; try again in a few minutes.")
            % {"network": label, "problem": _problem(exc)}
        ) from exc
    except MalformedResponse as exc:
        raise ValidationError(
            _("%(network)s gave an unexpected answer when these credentials were checked "
              "(%(problem)s). Nothing was stored.")
            % {"network": label, "problem": _problem(exc)}
        ) from exc
    except AdapterError as exc:
        raise ValidationError(
            _("%(network)s refused these credentials (%(problem)s). Nothing was stored.")
            % {"network": label, "problem": _problem(exc)}
        ) from exc
    finally:
        close = getattr(adapter, "close", None)
        if callable(close):
            close()
    # Adapters that renew a session while working (Bluesky) hold the newest tokens.
    return profile, adapter.credentials if adapter is not None else credentials


@sensitive_variables()
def account_connect_with_keys(
    *,
    actor: User,
    account: Account,
    credentials: Credentials,
    config: Mapping[str, str],
) -> AccountProfile:
    """Check ``credentials`` with the network, then store them and the settings.

    ``config``: non-secret settings entered with the keys (a channel, a phone number
    id…), merged into the account's config. Raises ValidationError, with nothing saved,
    when the settings are invalid, the network refuses the keys or cannot be reached.
    """
    check_can_manage_accounts(actor, account.organisation)
    settings = {**adapter_config(account), **config}
    defaults = _default_config(account, settings)
    profile, checked = _check_with_network(account, credentials, {**settings, **defaults})
    changes = {**config, **defaults, **_learned_config(Network(account.network), profile)}
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        locked.config = {**(locked.config or {}), **changes}
        locked.remote_id = profile.remote_id[:200]
        update = ["config", "remote_id", "updated_at"]
        if profile.followers is not None:
            locked.followers = max(0, profile.followers)
            locked.followers_checked_at = timezone.now()
            update += ["followers", "followers_checked_at"]
        locked.save(update_fields=update)
        credentials_store(actor=actor, account=locked, credentials=checked)
    account.refresh_from_db()
    return profile
