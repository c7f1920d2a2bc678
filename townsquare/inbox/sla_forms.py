"""The SLA policy form: targets, opening hours per weekday and public holidays."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.core.forms import UswdsFormMixin
from townsquare.inbox.models import SlaPolicy
from townsquare.organisations.models import Organisation

TARGET_FIELDS = ("first_response_normal", "first_response_high", "first_response_urgent",
                 "resolution_normal", "resolution_high", "resolution_urgent")
DAYS = (gettext_lazy("Monday"), gettext_lazy("Tuesday"), gettext_lazy("Wednesday"),
        gettext_lazy("Thursday"), gettext_lazy("Friday"), gettext_lazy("Saturday"),
        gettext_lazy("Sunday"))
MAX_HOLIDAYS = 200


class SlaPolicyForm(UswdsFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=gettext_lazy("Agency"),
                                          queryset=Organisation.objects.none())
    warn_percent = forms.IntegerField(
        label=gettext_lazy("Warn at (per cent of the target)"), min_value=1, max_value=99,
        help_text=gettext_lazy("Staff are warned when this share of a target has passed."),
    )
    holidays = forms.CharField(
        label=gettext_lazy("Public holidays"), required=False,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "ltr"}),
        help_text=gettext_lazy("One a line: the date as YYYY-MM-DD, then a name, e.g. "
                               "2026-12-25 Christmas Day. No clock runs on these days."),
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        for name in TARGET_FIELDS:
            self.fields[name] = forms.IntegerField(
                label=getattr(SlaPolicy._meta.get_field(name), "verbose_name", name),
                min_value=1, max_value=525_600,
                help_text=_("Business minutes."),
                # Added after the mixin styled the declared fields.
                widget=forms.NumberInput(attrs={"class": "usa-input"}),
            )
        for index, day in enumerate(DAYS):
            self.fields[f"opens_{index}"] = forms.TimeField(
                label=_("%(day)s: opens") % {"day": day}, required=False,
                widget=forms.TimeInput(attrs={"type": "time", "class": "usa-input"},
                                       format="%H:%M"))
            self.fields[f"closes_{index}"] = forms.TimeField(
                label=_("%(day)s: closes") % {"day": day}, required=False,
                help_text=_("Leave both empty when closed. A closing time before the opening "
                            "time means the next morning."),
                widget=forms.TimeInput(attrs={"type": "time", "class": "usa-input"},
                                       format="%H:%M"))

    @staticmethod
    def initial_for(policy: SlaPolicy | None) -> dict[str, Any]:
        if policy is None:
            defaults = SlaPolicy()
            initial: dict[str, Any] = {n: getattr(defaults, n) for n in TARGET_FIELDS}
            initial["warn_percent"] = defaults.warn_percent
            for index in range(5):
                initial[f"opens_{index}"], initial[f"closes_{index}"] = "08:00", "16:00"
            return initial
        initial = {n: getattr(policy, n) for n in TARGET_FIELDS}
        initial["organisation"] = policy.organisation_id
        initial["warn_percent"] = policy.warn_percent
        for index, hours in enumerate(policy.hours or []):
            if hours:
                initial[f"opens_{index}"], initial[f"closes_{index}"] = hours
        initial["holidays"] = "\n".join(
            f"{h['date']} {h.get('name', '')}".strip() for h in policy.holidays or [])
        return initial

    def clean_holidays(self) -> list[dict[str, str]]:
        found: dict[str, str] = {}
        problems = []
        lines = [line.strip() for line in self.cleaned_data["holidays"].splitlines()]
        for number, line in enumerate(lines, start=1):
            if not line:
                continue
            date_text, _space, name = line.partition(" ")
            try:
                date = dt.date.fromisoformat(date_text)
            except ValueError:
                problems.append(_("Line %(n)d: “%(text)s” is not a date like 2026-12-25.")
                                % {"n": number, "text": date_text[:20]})
                continue
            found[date.isoformat()] = name.strip()[:100]
        if problems:
            raise forms.ValidationError(problems)
        if len(found) > MAX_HOLIDAYS:
            raise forms.ValidationError(_("At most %(max)d holidays.") % {"max": MAX_HOLIDAYS})
        return [{"date": d, "name": n} for d, n in sorted(found.items())]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: list[list[str] | None] = []
        for index, day in enumerate(DAYS):
            opens, closes = data.get(f"opens_{index}"), data.get(f"closes_{index}")
            if (opens is None) != (closes is None):
                self.add_error(f"closes_{index}", _("%(day)s: give both the opening and the "
                                                    "closing time, or neither.") % {"day": day})
                hours.append(None)
            elif opens is not None and opens == closes:
                self.add_error(f"closes_{index}", _("%(day)s: the closing time is the opening "
                                                    "time.") % {"day": day})
                hours.append(None)
            else:
                hours.append([opens.strftime("%H:%M"), closes.strftime("%H:%M")]
                             if opens is not None and closes is not None else None)
        data["hours"] = hours
        return data

    def policy_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"organisation": data["organisation"],
                "targets": {n: data[n] for n in TARGET_FIELDS},
                "warn_percent": data["warn_percent"], "hours": data["hours"],
                "holidays": data["holidays"]}
