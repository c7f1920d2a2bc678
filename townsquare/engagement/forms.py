"""Staff forms of the survey builder and polls. Language versions are extra fields."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from townsquare.engagement.models import QuestionKind, RespondentMode, Segment, TemplateKind
from townsquare.engagement.services.builder import ChoiceSpec

LANGUAGE_SUFFIXES = (("ar", "ar", _("Arabic")), ("zh", "zh-hans", _("Chinese")))
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local", "class": "usa-input"},
                                      format="%Y-%m-%dT%H:%M")


def _text(label: Any, *, required: bool = False, max_length: int = 200, lang: str = "",
          textarea: bool = False) -> forms.CharField:
    attrs = {"class": "usa-textarea" if textarea else "usa-input", "dir": "auto"}
    if lang:
        attrs["lang"] = lang
    widget = forms.Textarea(attrs={**attrs, "rows": 4}) if textarea else forms.TextInput(attrs)
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget)


def merge_translations(cleaned: dict[str, Any], fields: tuple[str, ...],
                       ) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for suffix, lang, _label in LANGUAGE_SUFFIXES:
        merged[lang] = {f: cleaned.get(f"{f}_{suffix}", "") for f in fields}
    return merged


def initial_translations(translations: dict[str, dict[str, str]], fields: tuple[str, ...],
                         ) -> dict[str, str]:
    return {f"{f}_{suffix}": (translations or {}).get(lang, {}).get(f, "")
            for suffix, lang, _label in LANGUAGE_SUFFIXES for f in fields}


class SurveyForm(forms.Form):
    organisation: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None,
                                          widget=forms.Select(attrs={"class": "usa-select"}))
    template = forms.ChoiceField(
        label=_("Start from"), required=False,
        choices=[("", _("A blank survey")),
                 (TemplateKind.SATISFACTION, _("Citizen satisfaction template")),
                 (TemplateKind.IMPACT, _("Social media impact template"))],
        widget=forms.Select(attrs={"class": "usa-select"}))
    title = _text(_("Title"), required=False)
    title_ar = _text(_("Title in Arabic"), lang="ar")
    title_zh = _text(_("Title in Chinese"), lang="zh-hans")
    intro = _text(_("Introduction"), max_length=4000, textarea=True)
    intro_ar = _text(_("Introduction in Arabic"), max_length=4000, textarea=True, lang="ar")
    intro_zh = _text(_("Introduction in Chinese"), max_length=4000, textarea=True, lang="zh-hans")
    respondent_mode = forms.ChoiceField(label=_("Who may respond"),
                                        choices=RespondentMode.choices,
                                        widget=forms.Select(attrs={"class": "usa-select"}))
    opens_at = forms.DateTimeField(label=_("Opens"), required=False, widget=DATETIME_WIDGET)
    closes_at = forms.DateTimeField(label=_("Closes"), required=False, widget=DATETIME_WIDGET)

    def __init__(self, *args: Any, organisations: Any = None, editing: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["organisation"]
            del self.fields["template"]
        else:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("template") and not (cleaned.get("title") or "").strip():
            self.add_error("title", _("Give the survey a title."))
        return cleaned


class SectionForm(forms.Form):
    title = _text(_("Section title"), required=True)
    title_ar = _text(_("Section title in Arabic"), lang="ar")
    title_zh = _text(_("Section title in Chinese"), lang="zh-hans")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines()]


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=QuestionKind.choices,
                             widget=forms.Select(attrs={"class": "usa-select"}))
    text = _text(_("Question"), required=True, max_length=500)
    text_ar = _text(_("Question in Arabic"), max_length=500, lang="ar")
    text_zh = _text(_("Question in Chinese"), max_length=500, lang="zh-hans")
    help = _text(_("Hint"), max_length=500)
    help_ar = _text(_("Hint in Arabic"), max_length=500, lang="ar")
    help_zh = _text(_("Hint in Chinese"), max_length=500, lang="zh-hans")
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    options = _text(_("Options, one per line (choice, scale, ranking; matrix columns)"),
                    max_length=6000, textarea=True)
    options_ar = _text(_("Options in Arabic, one per line in the same order"), max_length=6000,
                       textarea=True, lang="ar")
    options_zh = _text(_("Options in Chinese, one per line in the same order"), max_length=6000,
                       textarea=True, lang="zh-hans")
    rows = _text(_("Matrix rows, one per line"), max_length=6000, textarea=True)
    rows_ar = _text(_("Matrix rows in Arabic"), max_length=6000, textarea=True, lang="ar")
    rows_zh = _text(_("Matrix rows in Chinese"), max_length=6000, textarea=True, lang="zh-hans")
    min_value = forms.FloatField(label=_("Minimum (numbers)"), required=False,
                                 widget=forms.NumberInput(attrs={"class": "usa-input"}))
    max_value = forms.FloatField(label=_("Maximum (numbers; most options for multiple choice)"),
                                 required=False,
                                 widget=forms.NumberInput(attrs={"class": "usa-input"}))
    max_length = forms.IntegerField(label=_("Longest answer (free text, characters)"),
                                    min_value=1, max_value=4000, initial=1000,
                                    widget=forms.NumberInput(attrs={"class": "usa-input"}))
    upload_types = forms.MultipleChoiceField(
        label=_("Accepted file types (file upload; none chosen accepts all three)"),
        required=False, choices=[("pdf", "PDF"), ("jpeg", "JPEG"), ("png", "PNG")],
        # A list box: the shared field template draws one checkbox per field, not groups.
        widget=forms.SelectMultiple(attrs={"class": "usa-select", "size": 3}))
    upload_max_mb = forms.DecimalField(
        label=_("Largest file in megabytes (file upload; empty for the installation's limit)"),
        required=False, min_value=Decimal("0.001"), max_digits=8, decimal_places=3,
        widget=forms.NumberInput(attrs={"class": "usa-input", "step": "0.1"}))
    segment = forms.ChoiceField(label=_("This answer records the respondent's"), required=False,
                                choices=Segment.choices,
                                widget=forms.Select(attrs={"class": "usa-select"}))
    condition = forms.CharField(
        label=_("Show only when (display logic)"), required=False, max_length=4000,
        help_text=_('For example {"question": "satisfaction", "equals": "dissatisfied"}. '
                    "Leave empty to always show the question."),
        widget=forms.Textarea(attrs={"class": "usa-textarea ts-ltr-field", "rows": 3,
                                     "dir": "ltr"}))

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]

    def clean_condition(self) -> dict[str, Any] | None:
        raw = self.cleaned_data.get("condition", "").strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValidationError(_("This is not valid JSON: %(error)s") % {"error": exc.msg}
                                  ) from exc
        if not isinstance(value, dict):
            raise ValidationError(_("A condition must be an object in braces { }."))
        return value

    def choice_specs(self, field: str) -> list[ChoiceSpec]:
        return choice_specs(self.cleaned_data, field)

    def upload_max_bytes(self) -> int | None:
        megabytes = self.cleaned_data.get("upload_max_mb")
        return None if megabytes is None else int(megabytes * 1024 * 1024)


def choice_specs(data: dict[str, Any], field: str) -> list[ChoiceSpec]:
    """Options typed one per line (``value|label`` keeps a chosen short name), with the
    Arabic and Chinese labels on the same lines of their own boxes."""
    arabic, chinese = _lines(data.get(f"{field}_ar", "")), _lines(data.get(f"{field}_zh", ""))
    specs = []
    for index, line in enumerate(_lines(data.get(field, ""))):
        if not line:
            continue
        value, label = "", line
        if "|" in line:
            value, label = (part.strip() for part in line.split("|", 1))
        translations = {"ar": {"label": arabic[index] if index < len(arabic) else ""},
                        "zh-hans": {"label": chinese[index] if index < len(chinese) else ""}}
        specs.append(ChoiceSpec(label=label, value=value, translations=translations))
    return specs


class PollForm(forms.Form):
    organisation: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None,
                                          widget=forms.Select(attrs={"class": "usa-select"}))
    question = _text(_("Question"), required=True, max_length=300)
    question_ar = _text(_("Question in Arabic"), max_length=300, lang="ar")
    question_zh = _text(_("Question in Chinese"), max_length=300, lang="zh-hans")
    options = _text(_("Options, one per line"), required=True, max_length=6000, textarea=True)
    options_ar = _text(_("Options in Arabic, one per line in the same order"), max_length=6000,
                       textarea=True, lang="ar")
    options_zh = _text(_("Options in Chinese, one per line in the same order"), max_length=6000,
                       textarea=True, lang="zh-hans")
    closes_at = forms.DateTimeField(label=_("Closes"), required=False, widget=DATETIME_WIDGET)

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]

    def choice_specs(self, field: str) -> list[ChoiceSpec]:
        return choice_specs(self.cleaned_data, field)
