"""Forms of the records archive pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from townsquare.archive.models import HoldKind, RecordType
from townsquare.channels.models import NETWORK_CHOICES
from townsquare.core.forms import CleanTextField, UswdsFormMixin
from townsquare.organisations.models import Organisation


class RecordFilterForm(UswdsFormMixin, forms.Form):
    q = CleanTextField(label=_("Id, author or address contains"), required=False, max_length=100)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False,
        empty_label=_("Any organisation"),
    )
    record_type = forms.ChoiceField(
        label=_("Record type"), choices=[("", _("Any type")), *RecordType.choices],
        required=False,
    )
    network = forms.ChoiceField(
        label=_("Network"), choices=[("", _("Any network")), *NETWORK_CHOICES], required=False
    )
    deleted = forms.ChoiceField(
        label=_("Deleted"),
        choices=[("", _("Deleted or not")), ("yes", _("Deleted only")),
                 ("no", _("Not deleted"))],
        required=False,
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = organisations


class RedactForm(UswdsFormMixin, forms.Form):
    content = forms.CharField(
        label=_("Text with the redactions applied"), widget=forms.Textarea(attrs={"rows": 5}),
        required=False, max_length=1_000_000,
        help_text=_("Replace what must not be released, for example with █. The original "
                    "stays in the archive."),
    )
    reason = CleanTextField(label=_("Reason and legal basis"), max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))
    keep_media = forms.BooleanField(label=_("Keep the media files"), required=False)


class RestrictForm(UswdsFormMixin, forms.Form):
    reason = CleanTextField(label=_("Reason and legal basis"), max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))


class SearchForm(UswdsFormMixin, forms.Form):
    q = CleanTextField(
        label=_("Search"), max_length=500,
        help_text=_('All words must match. Use "quotation marks" for a phrase, OR between '
                    "alternatives, and a minus sign to leave a word out: flood OR storm "
                    "-test"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False,
        empty_label=_("Any organisation"),
    )
    account = CleanTextField(label=_("Account"), max_length=200, required=False)
    network = forms.ChoiceField(
        label=_("Network"), choices=[("", _("Any network")), *NETWORK_CHOICES], required=False
    )
    record_type = forms.ChoiceField(
        label=_("Record type"), choices=[("", _("Any type")), *RecordType.choices],
        required=False,
    )
    author = CleanTextField(label=_("Author contains"), max_length=200, required=False)
    date_from = forms.DateField(label=_("Created from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Created until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    has_media = forms.ChoiceField(
        label=_("Media"), choices=[("", _("With or without media")), ("yes", _("With media")),
                                   ("no", _("Without media"))], required=False,
    )
    deleted = forms.ChoiceField(
        label=_("Deleted"),
        choices=[("", _("Deleted or not")), ("yes", _("Deleted only")),
                 ("no", _("Not deleted"))],
        required=False,
    )

    FILTERS = ("organisation", "account", "network", "record_type", "author", "date_from",
               "date_to", "has_media", "deleted")

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = organisations

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def raw_filters(self) -> dict[str, str]:
        """The filters as typed (strings), to keep with a saved search or a hold."""
        return {name: str(self.data.get(name, "")) for name in self.FILTERS
                if self.data.get(name)}


class SaveSearchForm(UswdsFormMixin, forms.Form):
    name = CleanTextField(label=_("Name of the saved search"), max_length=100)


class RetentionRuleForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"),
                                          queryset=Organisation.objects.none())
    record_type = forms.ChoiceField(label=_("Record type"), choices=RecordType.choices)
    keep_years = forms.IntegerField(
        label=_("Years to keep"), min_value=1, max_value=100, required=False,
        help_text=_("Leave empty to keep these records permanently."),
    )
    legal_basis = CleanTextField(label=_("Legal basis"), max_length=300, required=False)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = organisations


class DecisionForm(UswdsFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))],
                                 widget=forms.HiddenInput)
    note = CleanTextField(label=_("Note (required to reject)"), max_length=2000,
                          required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LegalHoldForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"),
                                          queryset=Organisation.objects.none())
    name = CleanTextField(label=_("Name of the hold"), max_length=200)
    reason = CleanTextField(label=_("Reason (litigation, investigation, request)"),
                            max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("The hold covers"), choices=HoldKind.choices)
    query = CleanTextField(label=_("Search (for a hold on a search)"), max_length=500,
                           required=False)
    account_handle = CleanTextField(label=_("Account (for a hold on an account)"),
                                    max_length=200, required=False)
    record_ids = CleanTextField(
        label=_("Record numbers (for a case), separated by spaces or commas"), max_length=20000,
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = organisations

    def clean_record_ids(self) -> list[int]:
        text = self.cleaned_data.get("record_ids") or ""
        ids = []
        for part in text.replace(",", " ").split():
            if not part.isdigit():
                raise forms.ValidationError(
                    _("“%(value)s” is not a record number.") % {"value": part[:20]})
            ids.append(int(part))
        return ids


class ReleaseHoldForm(UswdsFormMixin, forms.Form):
    release_reason = CleanTextField(label=_("Why the hold is released"), max_length=2000,
                                    widget=forms.Textarea(attrs={"rows": 2}))
