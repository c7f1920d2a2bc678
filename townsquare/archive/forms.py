"""Forms of the records archive pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from townsquare.archive.models import RecordType
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
