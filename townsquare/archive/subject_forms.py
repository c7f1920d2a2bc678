"""Forms of the data-subject request pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from townsquare.archive.subject_models import ErasureBasis, SubjectRequestKind
from townsquare.core.forms import CleanTextField, UswdsFormMixin
from townsquare.organisations.models import Organisation


class SubjectRequestForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"),
                                          queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("The person asks for"), choices=SubjectRequestKind.choices)
    reference = CleanTextField(
        label=_("Reference"), max_length=200,
        help_text=_("How you refer to this request, for example the letter's number."))
    tracking_numbers = CleanTextField(
        label=_("Tracking numbers of their conversations"), max_length=2000, required=False,
        help_text=_("Separated by spaces or commas."))
    handles = CleanTextField(
        label=_("Their handles on networks"), max_length=2000, required=False,
        help_text=_("For example @maya@sandbox, separated by spaces or commas."))
    email = CleanTextField(label=_("Email address"), max_length=254, required=False)
    phone = CleanTextField(label=_("Phone number"), max_length=40, required=False)
    legal_basis = forms.ChoiceField(
        label=_("Legal basis for keeping their archive records (erasure)"),
        choices=[("", _("Choose…")), *ErasureBasis.choices], required=False,
        help_text=_("The archive keeps public records; erasure restricts access to them "
                    "and logs this basis in the chain."))
    legal_basis_note = CleanTextField(
        label=_("Legal basis, details"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example the section of the public-records law."))

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = organisations
            if organisations.count() == 1:
                field.initial = organisations.first()
