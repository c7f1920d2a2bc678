"""Forms of the listening console. Validation of the query itself is the service's
(one place decides what a valid query is); forms only shape the input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from townsquare.channels.models import NETWORK_CHOICES
from townsquare.listening.models import LANGUAGE_FILTER_CHOICES, AlertKind
from townsquare.organisations.models import Organisation


class SavedQueryForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(),
                                          label=_("Organisation"))
    name = forms.CharField(label=_("Name"), max_length=120)
    query = forms.CharField(
        label=_("Query"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto", "spellcheck": "false"}),
        help_text=_(
            'Words, "quoted phrases", #hashtags and @accounts, combined with AND, OR, NOT '
            "and parentheses. Words next to each other must all appear. Example: "
            '(bus OR train) AND (late OR "cancelled") NOT #ad'
        ),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=LANGUAGE_FILTER_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every language."),
    )
    networks = forms.MultipleChoiceField(
        label=_("Networks"), choices=NETWORK_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every network."),
    )
    search_networks = forms.BooleanField(
        label=_("Also use the networks' own search (uses the accounts' API allowance)"),
        required=False,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = organisations
        if organisations.count() == 1:
            field.initial = organisations.first()


class AlertRuleForm(forms.Form):
    min_count = forms.IntegerField(label=_("Minimum posts in an hour"), initial=10,
                                   min_value=1, max_value=1_000_000)
    threshold = forms.FloatField(
        label=_("Sensitivity"), initial=4.0, min_value=1.0, max_value=50.0,
        help_text=_("How many usual deviations above the usual count for this hour of the "
                    "week. Lower finds more spikes."),
    )
    baseline_weeks = forms.IntegerField(label=_("Weeks of history"), initial=4,
                                        min_value=1, max_value=12)
    notify_console = forms.BooleanField(label=_("Notify the organisation's staff"),
                                        required=False, initial=True)
    email_to = forms.CharField(label=_("Email addresses (comma separated)"), required=False,
                               max_length=2000)
    webhook_url = forms.URLField(label=_("Webhook address"), required=False, max_length=500,
                                 assume_scheme="https")
    webhook_secret = forms.CharField(
        label=_("Webhook signing secret"), required=False, max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Requests carry X-Townsquare-Signature: sha256=HMAC of the body with "
                    "this secret. Leave blank to keep the current secret."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    kinds = forms.MultipleChoiceField(
        label=_("Alert on"), choices=AlertKind.choices, initial=[AlertKind.SPIKE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one of the kinds of alert.")},
        help_text=_("Emerging terms: hashtags, words, accounts or links far above their "
                    "usual count for this hour. Sustained rise: the weekly volume climbing "
                    "steadily for two weeks or more. Negative sentiment shift: a clearly "
                    "larger share of negative posts in the last 24 hours than in the week "
                    "before."),
    )


class AlertNoteForm(forms.Form):
    note = forms.CharField(label=_("Note to the communications office"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))


class PeriodForm(forms.Form):
    """Two periods to compare; defaults: the last 7 days against the 7 before."""

    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    compare_start = forms.DateField(label=_("Compare with: from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    compare_end = forms.DateField(label=_("Compare with: to (inclusive)"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))

    MAX_DAYS = 366

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for first, last in (("start", "end"), ("compare_start", "compare_end")):
            a, b = data.get(first), data.get(last)
            if (a is None) != (b is None):
                self.add_error(last if a else first, _("Give both dates of the period."))
            elif a and b:
                if b < a:
                    self.add_error(last, _("The end must not be before the start."))
                elif (b - a) > dt.timedelta(days=self.MAX_DAYS):
                    self.add_error(last, _("A period may be at most a year long."))
        return data


class FeedForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(),
                                          label=_("Organisation"))
    name = forms.CharField(label=_("Name"), max_length=120)
    url = forms.CharField(
        label=_("Feed address"), max_length=500,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "url", "spellcheck": "false"}),
        help_text=_("The RSS or Atom address, e.g. https://news.example.org/feed.xml"),
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False,
        choices=[("", _("As the feed says")), *LANGUAGE_FILTER_CHOICES],
        help_text=_("Used when the feed does not say which language its entries are in."),
    )
    poll_minutes = forms.IntegerField(label=_("Read every (minutes)"), initial=30,
                                      min_value=5, max_value=1440)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = organisations
        if organisations.count() == 1:
            field.initial = organisations.first()
