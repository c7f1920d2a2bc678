"""Forms of the account registry pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from townsquare.channels.adapters.base import Credentials, Network
from townsquare.channels.models import NETWORK_CHOICES, AccountStatus, ConnectionState
from townsquare.core.forms import CleanTextField, UswdsFormMixin, validate_decoded_name
from townsquare.organisations.models import Organisation, User

LANGUAGE_CHOICES = [("en", "English"), ("ar", "العربية"), ("zh-hans", "简体中文")]


class AccountFilterForm(UswdsFormMixin, forms.Form):
    q = CleanTextField(label=_("Contains"), required=False, max_length=100)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False,
        empty_label=_("Any organisation"),
    )
    network = forms.ChoiceField(
        label=_("Network"), choices=[("", _("Any network")), *NETWORK_CHOICES], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *AccountStatus.choices], required=False
    )
    connection = forms.ChoiceField(
        label=_("Connection"),
        choices=[("", _("Any connection state")), *ConnectionState.choices],
        required=False,
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = organisations
        field.empty_label = str(_("All organisations I can see"))


def _person_label(user: User) -> str:
    return f"{user.display_name} ({user.username})"


class AccountForm(UswdsFormMixin, forms.Form):
    handle = forms.CharField(
        label=_("Handle"),
        max_length=200,
        validators=[validate_decoded_name],
        help_text=_("As shown on the network, e.g. @health@social.example or HealthMinistry."),
    )
    display_name = forms.CharField(
        label=_("Display name"), max_length=200, required=False,
        validators=[validate_decoded_name],
    )
    url = forms.URLField(label=_("Address on the network"), max_length=500, required=False,
                         assume_scheme="https")
    responsible = forms.ModelChoiceField(
        label=_("Responsible staff member"), queryset=User.objects.none(), required=False,
        empty_label=_("Nobody named yet"),
    )
    purpose = CleanTextField(
        label=_("Purpose"), max_length=1000, required=False, widget=forms.Textarea(
            attrs={"rows": 3})
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=LANGUAGE_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(label=_("Status"), choices=AccountStatus.choices)
    listed_publicly = forms.BooleanField(
        label=_("List in the public directory of official accounts"), required=False,
        initial=True,
    )

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["responsible"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = people
        field.label_from_instance = _person_label  # type: ignore[method-assign,assignment]


class AccountCreateForm(AccountForm):
    organisation = forms.ModelChoiceField(
        label=_("Owning organisation"), queryset=Organisation.objects.none(),
        empty_label=_("Choose an organisation"),
    )
    network = forms.ChoiceField(label=_("Network"), choices=NETWORK_CHOICES)

    field_order = ["organisation", "network"]

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = organisations


class ImportForm(UswdsFormMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 (“CSV UTF-8” in Excel) or Excel “Unicode text”. Columns: network, handle, "
            "organisation (required); display_name, url, responsible, purpose, languages "
            "(e.g. en;ar), status, listed (yes/no). At most 5,000 rows and 2 MB."
        ),
    )


# --- Credentials entered by hand -------------------------------------------------------


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: Any
    secret: bool = True
    # Where the value goes: "access_token", "refresh_token", "config:<key>" (a non-secret
    # setting of the adapter, kept in Account.config), or a key of Credentials.extra
    # (default: the field's name). The keys are the ones each adapter reads.
    target: str = ""
    required: bool = True
    help_text: Any = ""

    @property
    def config_key(self) -> str:
        return self.target.removeprefix("config:") if self.target.startswith("config:") else ""


ACCESS_TOKEN = CredentialField("access_token", _("Access token"), target="access_token")
APP_SECRET = CredentialField("app_secret", _("App secret"))
CREDENTIAL_FIELDS: dict[str, list[CredentialField]] = {
    Network.TELEGRAM: [
        CredentialField("bot_token", _("Bot token (from @BotFather)"), target="access_token"),
        CredentialField("chat_id", _("Channel"), secret=False, target="config:chat_id",
                        help_text=_("The channel the bot posts to: @name, or its numeric chat "
                                    "ID such as -1001234567890.")),
    ],
    Network.WHATSAPP: [
        CredentialField("access_token", _("System user access token"), target="access_token"),
        CredentialField("phone_number_id", _("Phone number ID"), secret=False,
                        target="config:phone_number_id"),
        APP_SECRET,
    ],
    Network.WECHAT: [
        CredentialField("app_id", _("App ID"), secret=False, target="appid"),
        CredentialField("app_secret", _("App secret"), target="appsecret"),
        CredentialField("token", _("Server token (message signature)"),
                        target="webhook_secret"),
    ],
    Network.SMS: [
        CredentialField("account_id", _("Provider account ID"), secret=False,
                        target="config:account_sid"),
        CredentialField("api_key", _("API key or auth token"), target="auth_token"),
        CredentialField("from_number", _("Sending number"), secret=False,
                        target="config:from_number",
                        help_text=_("In international format, e.g. +15005550006.")),
    ],
    Network.EMAIL: [
        CredentialField("imap_host", _("Incoming mail server (IMAP)"), secret=False,
                        target="config:imap_host"),
        CredentialField("smtp_host", _("Outgoing mail server (SMTP)"), secret=False,
                        target="config:smtp_host"),
        CredentialField("username", _("Mailbox user name"), secret=False),
        CredentialField("password", _("Mailbox password")),
    ],
    Network.BLUESKY: [
        CredentialField("identifier", _("Handle or email of the account"), secret=False),
        CredentialField("app_password", _("App password (Settings → App passwords)")),
    ],
    Network.MASTODON: [
        CredentialField("api_base_url", _("Server address"), secret=False,
                        target="config:api_base_url",
                        help_text=_("The address of the account's server, e.g. "
                                    "https://social.example.")),
        ACCESS_TOKEN,
    ],
    Network.X: [ACCESS_TOKEN],
    Network.FACEBOOK: [
        CredentialField("page_id", _("Page ID"), secret=False, target="config:page_id"),
        CredentialField("access_token", _("Page access token"), target="access_token"),
        APP_SECRET,
    ],
    Network.INSTAGRAM: [
        CredentialField("ig_user_id", _("Instagram account ID"), secret=False,
                        target="config:ig_user_id"),
        ACCESS_TOKEN,
        APP_SECRET,
    ],
    Network.WEIBO: [ACCESS_TOKEN],
}


class CredentialsForm(UswdsFormMixin, forms.Form):
    """One input per key of the network; secrets are never rendered back.

    Non-secret settings that go with the keys (a channel, a phone number id) start from
    what the account already has, so reconnecting only asks for the new secret.
    """

    def __init__(
        self, *args: Any, network: str, config: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spec = CREDENTIAL_FIELDS.get(network, [])
        config = config or {}
        for item in self.spec:
            widget: forms.Widget = (
                forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
                if item.secret
                else forms.TextInput(attrs={"autocomplete": "off"})
            )
            initial = config.get(item.config_key) if item.config_key else None
            self.fields[item.name] = forms.CharField(
                label=item.label, max_length=4000, widget=widget, strip=True,
                required=item.required, help_text=item.help_text,
                initial=str(initial) if initial not in (None, "") else None,
            )
        # The mixin styled the fields that existed before; these are added afterwards.
        self._style()

    def _style(self) -> None:
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "usa-input")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in list(cleaned.items()):
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in str(value)):
                self.add_error(name, _("This value contains control characters."))
        return cleaned

    def split(self) -> tuple[Credentials, dict[str, str]]:
        """The keys as Credentials, and the settings that go into the account's config."""
        data = self.cleaned_data
        access, refresh = "", ""
        extra: dict[str, str] = {}
        config: dict[str, str] = {}
        for item in self.spec:
            value = data.get(item.name) or ""
            if item.config_key:
                if value:
                    config[item.config_key] = value
            elif item.target == "access_token":
                access = value
            elif item.target == "refresh_token":
                refresh = value
            elif value:
                extra[item.target or item.name] = value
        return Credentials(access_token=access, refresh_token=refresh, extra=extra), config
