from __future__ import annotations

import unicodedata
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from townsquare.core.text import validate_clean_text, validate_name

# What a browser's form data decodes to when it was not valid UTF-8.
REPLACEMENT_CHARACTER = "\ufffd"


def validate_decoded_text(value: str) -> None:
    """Refuse text that was not valid UTF-8 on the wire, or that holds control characters.

    Invalid bytes reach Django as U+FFFD; storing that would silently damage a name.
    """
    if REPLACEMENT_CHARACTER in value:
        raise ValidationError(_("This text contains invalid characters."), code="invalid_unicode")
    validate_clean_text(value)


def validate_decoded_name(value: str) -> None:
    """``validate_name`` for form input: also refuses what was not valid UTF-8."""
    if REPLACEMENT_CHARACTER in value:
        raise ValidationError(_("This text contains invalid characters."), code="invalid_unicode")
    validate_name(value)


def clean_query(raw: str, *, max_length: int) -> str:
    """A search box's words: without control characters (PostgreSQL refuses NUL), trimmed."""
    kept = "".join(ch for ch in raw if unicodedata.category(ch) not in ("Cc", "Cs"))
    return kept.strip()[:max_length]


class CleanTextField(forms.CharField):
    """Free text (descriptions, filters): valid Unicode, no control characters."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.validators.append(validate_decoded_text)


class UswdsFormMixin:
    """Gives every widget its USWDS class and ties error messages to their field."""

    WIDGET_CLASSES = {
        forms.Select: "usa-select",
        forms.SelectMultiple: "usa-select",
        forms.Textarea: "usa-textarea",
        forms.CheckboxInput: "usa-checkbox__input",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            css = next(
                (c for kind, c in self.WIDGET_CLASSES.items() if isinstance(widget, kind)),
                "usa-input",
            )
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                bound = self[name]  # type: ignore[index]
                bound.field.widget.attrs["aria-describedby"] = f"{bound.auto_id}-error"
                bound.field.widget.attrs["class"] += " usa-input--error"


TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(available_timezones()) if "/" in tz or tz == "UTC"]


class PreferencesForm(UswdsFormMixin, forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)


class AuditFilterForm(UswdsFormMixin, forms.Form):
    q = CleanTextField(label=_("Contains"), required=False, max_length=100)
    action = CleanTextField(label=_("Action"), required=False, max_length=80)
    actor = CleanTextField(label=_("Who"), required=False, max_length=150)
    organisation = forms.IntegerField(label=_("Organisation"), required=False, min_value=1)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
