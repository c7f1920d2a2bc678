"""Forms of the publishing console."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from townsquare.channels.models import Account
from townsquare.core.forms import CleanTextField, UswdsFormMixin, validate_decoded_text
from townsquare.media.models import MediaAsset
from townsquare.organisations.models import Organisation
from townsquare.publishing.models import LANGUAGE_CHOICES, Campaign, PostState
from townsquare.publishing.services.compose import MAX_TEXT_LENGTH, VersionInput

LANGUAGE_CODES = [code for code, _label in LANGUAGE_CHOICES]
# Hand-edited thread parts are separated by a line holding only this.
PART_SEPARATOR = "---"



def _checkboxes() -> forms.CheckboxSelectMultiple:
    return forms.CheckboxSelectMultiple(attrs={"class": "usa-checkbox__input"})

class PostFilterForm(UswdsFormMixin, forms.Form):
    q = CleanTextField(label=_("Contains"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("Any state")), *PostState.choices])
    organisation = forms.ModelChoiceField(label=_("Organisation"), required=False,
                                          queryset=Organisation.objects.none())
    campaign = forms.ModelChoiceField(label=_("Campaign"), required=False,
                                      queryset=Campaign.objects.none())
    emergency = forms.BooleanField(label=_("Emergency posts only"), required=False)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation],
                 campaigns: QuerySet[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]


class AccountChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg, unused-ignore]
    def label_from_instance(self, obj: Account) -> str:
        return f"{obj.handle} · {obj.get_network_display()} · {obj.organisation}"


class MediaChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg, unused-ignore]
    def label_from_instance(self, obj: MediaAsset) -> str:
        return obj.original_filename


class ComposeForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("On behalf of"),
                                          queryset=Organisation.objects.none())
    title = CleanTextField(label=_("Working title"), required=False, max_length=200,
                           help_text=_("Only staff see it. Leave empty to use the first line."))
    campaign = forms.ModelChoiceField(label=_("Campaign"), required=False,
                                      queryset=Campaign.objects.none())
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation],
                 accounts: QuerySet[Account], media: QuerySet[MediaAsset],
                 campaigns: QuerySet[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        for code, label in LANGUAGE_CHOICES:
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Text in %(language)s") % {"language": label}, required=False,
                max_length=MAX_TEXT_LENGTH, strip=False,
                validators=[validate_decoded_text],
                widget=forms.Textarea(attrs={"rows": 8, "dir": "auto", "lang": code,
                                             "class": "ts-compose-text"}),
            )
            self.fields[f"accounts_{code}"] = AccountChoiceField(
                label=_("Accounts for %(language)s") % {"language": label}, required=False,
                queryset=accounts, widget=_checkboxes(),
            )
            self.fields[f"media_{code}"] = MediaChoiceField(
                label=_("Images and video for %(language)s") % {"language": label},
                required=False, queryset=media, widget=_checkboxes(),
            )

    def language_fields(self) -> list[dict[str, Any]]:
        return [
            {"code": code, "label": label, "text": self[f"text_{code}"],
             "accounts": self[f"accounts_{code}"], "media": self[f"media_{code}"]}
            for code, label in LANGUAGE_CHOICES
        ]

    def versions(self) -> dict[str, VersionInput]:
        data = self.cleaned_data
        return {
            code: VersionInput(text=data[f"text_{code}"], accounts=list(data[f"accounts_{code}"]),
                               media=list(data[f"media_{code}"]))
            for code in LANGUAGE_CODES
            if data[f"text_{code}"].strip() or data[f"accounts_{code}"]
        }


class ScheduleForm(UswdsFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}))
    fold = forms.TypedChoiceField(
        label=_("When the clocks go back and this time happens twice"), required=False,
        coerce=int, empty_value=None,
        choices=[("", _("Ask me")), ("0", _("The first time (before the change)")),
                 ("1", _("The second time (after the change)"))],
    )


class TextForm(UswdsFormMixin, forms.Form):
    text = CleanTextField(label=_("Comment"), max_length=4000,
                          widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))


class EmergencyForm(UswdsFormMixin, forms.Form):
    reason = CleanTextField(label=_("Why this cannot wait for review"), max_length=300)


class CorrectionForm(UswdsFormMixin, forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    text = forms.CharField(label=_("Corrected text"), max_length=MAX_TEXT_LENGTH, strip=False,
                           validators=[validate_decoded_text],
                           widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}))


class VariantForm(UswdsFormMixin, forms.Form):
    parts = forms.CharField(
        label=_("Text for this account"), strip=False, max_length=MAX_TEXT_LENGTH * 2,
        validators=[validate_decoded_text],
        help_text=_("For a thread, put a line with only --- between the posts."),
        widget=forms.Textarea(attrs={"rows": 10, "dir": "auto"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def part_list(self) -> list[str]:
        lines = self.cleaned_data["parts"].replace("\r\n", "\n").split("\n")
        parts: list[str] = []
        current: list[str] = []
        for line in lines:
            if line.strip() == PART_SEPARATOR:
                parts.append("\n".join(current))
                current = []
            else:
                current.append(line)
        parts.append("\n".join(current))
        return [p.strip() for p in parts if p.strip()]


APPROVER_ROLE_CHOICES = [("administrator", _("Administrators")), ("approver", _("Approvers")),
                         ("editor", _("Editors"))]


class PolicyForm(UswdsFormMixin, forms.Form):
    levels = forms.TypedChoiceField(
        label=_("Approvals a post needs"), coerce=int,
        choices=[(0, _("None: composers publish directly")), (1, _("One")),
                 (2, _("Two, by two different people"))],
    )
    level_one_roles = forms.MultipleChoiceField(
        label=_("Who approves first"), required=False, choices=APPROVER_ROLE_CHOICES,
        widget=_checkboxes())
    level_two_roles = forms.MultipleChoiceField(
        label=_("Who approves second"), required=False, choices=APPROVER_ROLE_CHOICES,
        widget=_checkboxes())


class CampaignForm(UswdsFormMixin, forms.Form):
    name = CleanTextField(label=_("Campaign name"), max_length=120)
    description = CleanTextField(label=_("Description"), required=False, max_length=1000)


class HashtagForm(UswdsFormMixin, forms.Form):
    tag = CleanTextField(label=_("Hashtag"), max_length=101)


class AvoidWordsForm(UswdsFormMixin, forms.Form):
    # Checked entry by entry in the service, so the message can name the bad entry.
    words = forms.CharField(
        label=_("Words to avoid"), required=False, max_length=40_000, strip=False,
        help_text=_("One word or phrase a line. The plain-language checker flags them in "
                    "this organisation's posts."),
        widget=forms.Textarea(attrs={"rows": 8, "dir": "auto"}),
    )

    def word_list(self) -> list[str]:
        return self.cleaned_data["words"].replace("\r\n", "\n").split("\n")


class PostTemplateForm(UswdsFormMixin, forms.Form):
    name = CleanTextField(label=_("Template name"), max_length=120)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    text = CleanTextField(label=_("Text"), max_length=10_000, strip=False,
                          widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}))
