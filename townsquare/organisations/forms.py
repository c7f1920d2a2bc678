from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.core.text import normalise_name, validate_name
from townsquare.organisations.models import Organisation, Role, Team, User


class NameField(forms.CharField):
    """A one-line name: normalised, no direction controls or invisible-only values."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.validators.append(validate_name)

    def to_python(self, value: object) -> str:
        return normalise_name(super().to_python(value) or "")


class TeamForm(forms.Form):
    name = NameField(label=_("Team name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OrganisationForm(forms.Form):
    name = NameField(label=_("Name (default language)"))
    name_ar = NameField(label=_("Name in Arabic"), required=False)
    name_zh = NameField(label=_("Name in Chinese"), required=False)
    short_name = forms.CharField(label=_("Short name"), required=False, max_length=40)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")


class MemberAddForm(forms.Form):
    username = forms.CharField(label=_("Username of an existing staff member"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = cast(forms.ModelChoiceField, self.fields["team"])
        team_field.queryset = Team.objects.filter(organisation=organisation)

    def clean_username(self) -> User:
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active staff member has this username."))
        return user


class StaffCreateForm(forms.Form):
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
