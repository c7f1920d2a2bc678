"""Forms of the records-request and export pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from townsquare.archive.request_models import RequestStatus
from townsquare.core.forms import CleanTextField, UswdsFormMixin
from townsquare.organisations.models import Organisation, User


class _OfficerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class RecordsRequestForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"),
                                          queryset=Organisation.objects.none())
    reference = CleanTextField(label=_("Reference number"), max_length=60)
    requester_name = CleanTextField(label=_("Requester's name"), max_length=200)
    requester_contact = CleanTextField(label=_("Requester's contact"), max_length=300,
                                       help_text=_("Email address, phone or postal address."))
    description = CleanTextField(label=_("What is requested"), max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    received_on = forms.DateField(label=_("Received on"),
                                  widget=forms.DateInput(attrs={"type": "date"}))
    deadline = forms.DateField(
        label=_("Statutory deadline"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to count the statutory number of working days (Monday to "
                    "Friday) from the day it was received."))
    officer = _OfficerChoice(label=_("Records officer"), queryset=User.objects.none(),
                             required=False, empty_label=_("Nobody yet"))

    def __init__(self, *args: Any, organisations: QuerySet[Organisation],
                 officers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["officer"].queryset = officers  # type: ignore[attr-defined]


class RequestUpdateForm(UswdsFormMixin, forms.Form):
    deadline = forms.DateField(label=_("Statutory deadline"),
                               widget=forms.DateInput(attrs={"type": "date"}))
    officer = _OfficerChoice(label=_("Records officer"), queryset=User.objects.none(),
                             required=False, empty_label=_("Nobody yet"))
    reason = CleanTextField(label=_("Why the deadline moves"), max_length=2000, required=False)

    def __init__(self, *args: Any, officers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers  # type: ignore[attr-defined]


class RequestStatusForm(UswdsFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=RequestStatus.choices)
    note = CleanTextField(label=_("Note"), max_length=5000, required=False,
                          widget=forms.Textarea(attrs={"rows": 2}))


class RequestNoteForm(UswdsFormMixin, forms.Form):
    text = CleanTextField(label=_("Note"), max_length=5000,
                          widget=forms.Textarea(attrs={"rows": 3}))


class ExportForm(UswdsFormMixin, forms.Form):
    include_warc = forms.BooleanField(
        label=_("Also include a WARC file (for national web archives)"), required=False)
