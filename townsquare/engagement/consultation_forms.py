"""Staff forms of consultations. Language versions are extra fields, as in the survey
builder; the services do the real checks (the forms only shape the input)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.engagement.consultation_models import MAX_STATEMENT, ModerationMode
from townsquare.engagement.forms import DATETIME_WIDGET, _text


class ConsultationForm(forms.Form):
    organisation: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None,
        widget=forms.Select(attrs={"class": "usa-select"}))
    title = _text(_("Title"), required=True)
    title_ar = _text(_("Title in Arabic"), lang="ar")
    title_zh = _text(_("Title in Chinese"), lang="zh-hans")
    summary = _text(_("Summary"), max_length=4000, textarea=True)
    summary_ar = _text(_("Summary in Arabic"), max_length=4000, textarea=True, lang="ar")
    summary_zh = _text(_("Summary in Chinese"), max_length=4000, textarea=True, lang="zh-hans")
    moderation = forms.ChoiceField(label=_("Moderation"), choices=ModerationMode.choices,
                                   widget=forms.Select(attrs={"class": "usa-select"}))
    comments_open_at = forms.DateTimeField(label=_("Comments open"), widget=DATETIME_WIDGET)
    comments_close_at = forms.DateTimeField(label=_("Comments close"), widget=DATETIME_WIDGET)

    def __init__(self, *args: Any, organisations: Any = None, editing: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


class ConsultationSectionForm(forms.Form):
    title = _text(_("Section title"), required=True)
    title_ar = _text(_("Section title in Arabic"), lang="ar")
    title_zh = _text(_("Section title in Chinese"), lang="zh-hans")
    body = _text(_("Text"), required=True, max_length=20000, textarea=True)
    body_ar = _text(_("Text in Arabic"), max_length=20000, textarea=True, lang="ar")
    body_zh = _text(_("Text in Chinese"), max_length=20000, textarea=True, lang="zh-hans")


class StatementForm(forms.Form):
    text = _text(_("Statement"), required=True, max_length=MAX_STATEMENT)
    text_ar = _text(_("Statement in Arabic"), max_length=MAX_STATEMENT, lang="ar")
    text_zh = _text(_("Statement in Chinese"), max_length=MAX_STATEMENT, lang="zh-hans")


class ThemeForm(forms.Form):
    title = _text(_("Theme"), required=True)
    title_ar = _text(_("Theme in Arabic"), lang="ar")
    title_zh = _text(_("Theme in Chinese"), lang="zh-hans")
    said = _text(_("You said: what people said"), required=True, max_length=4000, textarea=True)
    said_ar = _text(_("You said, in Arabic"), max_length=4000, textarea=True, lang="ar")
    said_zh = _text(_("You said, in Chinese"), max_length=4000, textarea=True, lang="zh-hans")
    did = _text(_("We did: the agency's response"), max_length=4000, textarea=True)
    did_ar = _text(_("We did, in Arabic"), max_length=4000, textarea=True, lang="ar")
    did_zh = _text(_("We did, in Chinese"), max_length=4000, textarea=True, lang="zh-hans")
