from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from townsquare.api.models import ApiScope

DEFAULT_DAYS = 90


def default_expiry() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=min(DEFAULT_DAYS, settings.API_TOKEN_MAX_DAYS))


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("What the token is for, e.g. “Dashboard export”."),
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple,
    )
    expires_on = forms.DateField(
        label=_("Expires on"), initial=default_expiry,
        help_text=format_lazy(
            _("The token stops working at the start of this day (at most {days} days)."),
            days=settings.API_TOKEN_MAX_DAYS,
        ),
        widget=forms.DateInput(attrs={"type": "date", "class": "usa-input"}),
    )

    def expires_at(self) -> dt.datetime:
        day: dt.date = self.cleaned_data["expires_on"]
        return dt.datetime.combine(day, dt.time.min, timezone.get_current_timezone())
