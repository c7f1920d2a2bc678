"""Forms of the inbox console and of the citizen site's contact and tracking pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from townsquare.core.forms import CleanTextField, UswdsFormMixin, validate_decoded_name
from townsquare.inbox.models import (
    CHANNEL_CHOICES,
    PHONE,
    SERVICE_CENTRE,
    Priority,
    Status,
)
from townsquare.inbox.services.citizen import MAX_CONTACT_FORM_LENGTH
from townsquare.inbox.services.replies import MAX_REPLY_LENGTH
from townsquare.inbox.services.work import MAX_NOTE_LENGTH
from townsquare.organisations.models import Organisation, Team, User

LANGUAGE_CHOICES = [("", _("Detect from the text")), ("en", "English"), ("ar", "العربية"),
                    ("zh-hans", "简体中文")]


class QueueFilterForm(UswdsFormMixin, forms.Form):
    q = CleanTextField(label=_("Tracking number or words"), required=False, max_length=100)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False,
        empty_label=_("Any organisation"),
    )
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any open status")), *Status.choices])
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("Any channel")), *CHANNEL_CHOICES])
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int,
                                      empty_value=None,
                                      choices=[("", _("Any priority")), *Priority.choices])
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("Any language")), ("en", "English"),
                                          ("ar", "العربية"), ("zh", "中文")])
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(),
                                  required=False, empty_label=_("Any team"))

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            organisation__in=organisations).order_by("name", "pk")


class ReplyForm(UswdsFormMixin, forms.Form):
    text = CleanTextField(label=_("Answer"), max_length=MAX_REPLY_LENGTH,
                          widget=forms.Textarea(attrs={"rows": 5}))
    private = forms.BooleanField(label=_("Answer privately (where the network allows it)"),
                                 required=False)
    seen_message_id = forms.IntegerField(widget=forms.HiddenInput, required=False)


class NoteForm(UswdsFormMixin, forms.Form):
    text = CleanTextField(
        label=_("Internal note"), max_length=MAX_NOTE_LENGTH,
        help_text=_("Only staff see notes. Write @username to tell a colleague."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(UswdsFormMixin, forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none(),
                                      required=False, empty_label=_("Nobody (unassigned)"))

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people  # type: ignore[attr-defined]
        self.fields["assignee"].label_from_instance = (  # type: ignore[attr-defined]
            lambda user: user.display_name
        )


class StatusForm(UswdsFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class TransferForm(UswdsFormMixin, forms.Form):
    to_organisation = forms.ModelChoiceField(
        label=_("Send to"), queryset=Organisation.objects.none(),
        empty_label=_("Choose an organisation"),
    )
    to_team = forms.ModelChoiceField(label=_("Team (optional)"), queryset=Team.objects.none(),
                                     required=False, empty_label=_("No particular team"))
    reason = CleanTextField(label=_("Why"), max_length=500,
                            help_text=_("The receiving staff read this first."))

    def __init__(self, *args: Any, destinations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_organisation"].queryset = destinations  # type: ignore[attr-defined]
        self.fields["to_team"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            organisation__in=destinations
        ).select_related("organisation")
        self.fields["to_team"].label_from_instance = (  # type: ignore[attr-defined]
            lambda team: f"{team.organisation} · {team}"
        )


class LinkForm(UswdsFormMixin, forms.Form):
    tracking_number = CleanTextField(
        label=_("Tracking number of the same person's other conversation"), max_length=32
    )
    reason = CleanTextField(label=_("How you know it is the same person"), max_length=300)


class CaseForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"),
                                          queryset=Organisation.objects.none())
    channel = forms.ChoiceField(
        label=_("How the citizen reached us"),
        choices=[(PHONE, _("Phone")), (SERVICE_CENTRE, _("Service centre"))],
    )
    citizen_name = CleanTextField(label=_("Citizen's name"), max_length=200, required=False,
                                  validators=[validate_decoded_name])
    citizen_reference = CleanTextField(
        label=_("Phone number or other reference"), max_length=200, required=False,
        validators=[validate_decoded_name],
        help_text=_("The citizen's next call with the same reference joins their history."),
    )
    text = CleanTextField(label=_("What the citizen asked"), max_length=MAX_CONTACT_FORM_LENGTH,
                          widget=forms.Textarea(attrs={"rows": 6}))
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


class RoutingRuleForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("Rule of"), queryset=Organisation.objects.none())
    name = CleanTextField(label=_("Name"), max_length=120, validators=[validate_decoded_name])
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=100000, initial=100,
                                  help_text=_("Lower numbers are tried first."))
    keywords_en = CleanTextField(label=_("English keywords"), required=False, max_length=2000,
                                 help_text=_("One per line or separated by commas."),
                                 widget=forms.Textarea(attrs={"rows": 2}))
    keywords_ar = CleanTextField(label=_("Arabic keywords"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2, "dir": "rtl",
                                                              "lang": "ar"}))
    keywords_zh = CleanTextField(label=_("Chinese keywords"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2, "lang": "zh-Hans"}))
    channel = forms.ChoiceField(label=_("Only on channel"), required=False,
                                choices=[("", _("Any channel")), *CHANNEL_CHOICES])
    language = forms.ChoiceField(
        label=_("Only in language"), required=False,
        choices=[("", _("Any language")), ("en", "English"), ("ar", "العربية"), ("zh", "中文")],
    )
    target_organisation = forms.ModelChoiceField(label=_("Send to"),
                                                 queryset=Organisation.objects.none())
    target_team = forms.ModelChoiceField(label=_("Team (optional)"), queryset=Team.objects.none(),
                                         required=False, empty_label=_("No particular team"))
    mark_high_priority = forms.BooleanField(label=_("Mark as high priority"), required=False)

    def __init__(self, *args: Any, owners: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = Organisation.objects.filter(is_active=True)
        self.fields["organisation"].queryset = owners  # type: ignore[attr-defined]
        self.fields["target_organisation"].queryset = active  # type: ignore[attr-defined]
        self.fields["target_team"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            organisation__in=active
        ).select_related("organisation")
        self.fields["target_team"].label_from_instance = (  # type: ignore[attr-defined]
            lambda team: f"{team.organisation} · {team}"
        )


class CannedReplyForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("Reply of"), queryset=Organisation.objects.none())
    title = CleanTextField(label=_("Title"), max_length=120, validators=[validate_decoded_name])
    text_en = CleanTextField(label=_("English"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    text_ar = CleanTextField(label=_("Arabic"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3, "dir": "rtl",
                                                          "lang": "ar"}))
    text_zh = CleanTextField(label=_("Chinese"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3, "lang": "zh-Hans"}))

    def __init__(self, *args: Any, owners: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = owners  # type: ignore[attr-defined]


# --- Citizen site ------------------------------------------------------------------------


class RatingForm(UswdsFormMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("How did we do?"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, _("5 – very good")), (4, "4"), (3, "3"), (2, "2"), (1, _("1 – poor"))],
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = CleanTextField(label=_("Comment (optional)"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class TrackForm(UswdsFormMixin, forms.Form):
    number = CleanTextField(label=_("Tracking number"), max_length=40,
                            help_text=_("For example TS-7K3M-Q9X. It is in our first answer."))


class ContactForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Who is it for?"), queryset=Organisation.objects.none(), required=False,
        empty_label=_("I don't know: please send it to the right place"),
    )
    text = CleanTextField(label=_("Your message"), max_length=MAX_CONTACT_FORM_LENGTH,
                          widget=forms.Textarea(attrs={"rows": 8}))
    name = CleanTextField(label=_("Your name (optional)"), max_length=200, required=False,
                          validators=[validate_decoded_name])
    reply_to = CleanTextField(
        label=_("Email or phone number for our answer (optional)"), max_length=200,
        required=False, validators=[validate_decoded_name],
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
