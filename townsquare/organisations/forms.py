from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.core.forms import CleanTextField, UswdsFormMixin, validate_decoded_name
from townsquare.core.text import normalise_name
from townsquare.organisations.models import Organisation, Role, Team, User
from townsquare.organisations.selectors import users_visible_to


class NameField(forms.CharField):
    """A one-line name: normalised, no direction controls or invisible-only values."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.validators.append(validate_decoded_name)

    def to_python(self, value: object) -> str:
        return normalise_name(super().to_python(value) or "")


class TeamForm(UswdsFormMixin, forms.Form):
    name = NameField(label=_("Team name"), max_length=120)
    description = CleanTextField(
        label=_("Description"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OrganisationForm(UswdsFormMixin, forms.Form):
    name = NameField(label=_("Name (default language)"))
    name_ar = NameField(label=_("Name in Arabic"), required=False)
    name_zh = NameField(label=_("Name in Chinese"), required=False)
    short_name = NameField(label=_("Short name"), required=False, max_length=40)
    description = CleanTextField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")


class MemberAddForm(UswdsFormMixin, forms.Form):
    username = CleanTextField(label=_("Username of an existing staff member"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, organisation: Organisation, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        team_field = cast(forms.ModelChoiceField, self.fields["team"])
        team_field.queryset = Team.objects.filter(organisation=organisation)

    def clean_username(self) -> User:
        username = self.cleaned_data["username"].strip()
        # Only people the administrator can already see: the form must not reveal who
        # works elsewhere in government (new colleagues come through "New staff account").
        user = (
            users_visible_to(self.actor).filter(username__iexact=username, is_active=True).first()
        )
        if user is None:
            raise forms.ValidationError(_("No active staff member has this username."))
        return user


class StaffCreateForm(UswdsFormMixin, forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    email = forms.EmailField(label=_("Email"))
    first_name = NameField(label=_("Given name"), required=False, max_length=150)
    last_name = NameField(label=_("Family name"), required=False, max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username
