"""Forms of the media library pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from townsquare.core.forms import CleanTextField, UswdsFormMixin
from townsquare.media.models import MediaKind
from townsquare.organisations.models import Organisation

# Field name → language code of the alt text it holds.
ALT_FIELDS = {"alt_en": "en", "alt_ar": "ar", "alt_zh_hans": "zh-hans"}
MAX_FILES_PER_UPLOAD = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked on its own by the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if not files:
            raise forms.ValidationError(_("Choose at least one file."), code="required")
        if len(files) > MAX_FILES_PER_UPLOAD:
            raise forms.ValidationError(
                _("Upload at most %(count)d files at a time.") % {"count": MAX_FILES_PER_UPLOAD},
                code="too_many_files",
            )
        return list(files)


class AltTextFieldsMixin(forms.Form):
    alt_en = CleanTextField(
        label=_("Alt text in English"), required=False, widget=forms.Textarea(attrs={
            "rows": 3, "lang": "en", "dir": "ltr"}),
    )
    alt_ar = CleanTextField(
        label=_("Alt text in Arabic"), required=False, widget=forms.Textarea(attrs={
            "rows": 3, "lang": "ar", "dir": "rtl"}),
    )
    alt_zh_hans = CleanTextField(
        label=_("Alt text in Simplified Chinese"), required=False, widget=forms.Textarea(attrs={
            "rows": 3, "lang": "zh-Hans", "dir": "ltr"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ALT_FIELDS:
            # Kept as typed so nothing is lost when the service refuses it; it trims.
            self.fields[name].strip = False  # type: ignore[attr-defined]
            self.fields[name].help_text = _(
                "Describe what the image shows for people who cannot see it."
            )

    def alt_text(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(name) or "" for name, code in ALT_FIELDS.items()}

    def add_alt_text_errors(self, errors: dict[str, list[str]]) -> None:
        by_code = {code: name for name, code in ALT_FIELDS.items()}
        for code, messages in errors.items():
            self.add_error(by_code.get(code), messages)


class UploadForm(UswdsFormMixin, AltTextFieldsMixin):
    organisation = forms.ModelChoiceField(
        label=_("Agency"), queryset=Organisation.objects.none(), empty_label=None
    )
    uploads = MultipleFileField(
        label=_("Files"),
        help_text=_("Images (JPEG, PNG, GIF, WebP) or videos (MP4, WebM). Up to 10 at a time."),
    )

    field_order = ["organisation", "uploads", *ALT_FIELDS]

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = organisations


class AltTextForm(UswdsFormMixin, AltTextFieldsMixin):
    pass


class LibraryFilterForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Agency"), queryset=Organisation.objects.none(), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Images and video")), *MediaKind.choices],
        required=False,
    )
    missing_alt_text = forms.BooleanField(label=_("Only images missing alt text"), required=False)
    archived = forms.BooleanField(label=_("Show archived files"), required=False)

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = organisations
        field.empty_label = str(_("All agencies I can see"))
