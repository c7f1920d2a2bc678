"""Local wall-clock times in an organisation's time zone → one UTC instant, explicitly.

Around daylight-saving changes a local time can be missing (clocks jump forward: 01:30
does not happen in London on the last Sunday of March) or happen twice (clocks go back:
01:30 happens once in summer time and once in winter time). Python's zoneinfo would
silently pick one; a scheduled government post must not, so both cases are errors that
tell the author which real times they can choose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

# A time this far in the past still counts as "now": browsers' and servers' clocks differ.
CLOCK_SKEW = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class TimeOption:
    """A real time the author can pick instead: the local time and its UTC offset."""

    local: dt.datetime  # aware, in the organisation's zone
    fold: int

    @property
    def label(self) -> str:
        offset = self.local.strftime("%z")
        return f"{self.local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


class ScheduleError(ValueError):
    """Why a local time cannot be used; ``code`` is "gap", "ambiguous", "past" or "zone"."""

    def __init__(self, code: str, message: str, options: tuple[TimeOption, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.options = options


@dataclass(frozen=True)
class ResolvedTime:
    utc: dt.datetime
    local: dt.datetime
    fold: int


def _round_trips(local: dt.datetime) -> bool:
    back = local.astimezone(dt.UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def resolve_local_time(
    *,
    date: dt.date,
    time: dt.time,
    time_zone: str,
    fold: int | None,
    now: dt.datetime,
) -> ResolvedTime:
    """The UTC instant of ``date time`` in ``time_zone``, or a ScheduleError.

    ``fold`` is None when the author has not said which of two repeated times they mean
    (0: the first, before clocks go back; 1: the second).
    """
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            "zone", _("%(zone)s is not a known time zone.") % {"zone": time_zone}
        ) from exc
    naive = dt.datetime.combine(date, time.replace(second=0, microsecond=0, tzinfo=None))
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if not _round_trips(first):
        # A missing time: fold 0 reads it with the offset before the jump, fold 1 with the
        # offset after. Converted back, they are the real times on either side of the gap.
        options = tuple(
            TimeOption(local=candidate.astimezone(dt.UTC).astimezone(zone), fold=0)
            for candidate in sorted((first, second), key=lambda c: c.astimezone(dt.UTC))
        )
        raise ScheduleError(
            "gap",
            _(
                "%(time)s does not exist in %(zone)s because the clocks go forward. "
                "Choose %(first)s or %(second)s."
            )
            % {
                "time": f"{naive:%Y-%m-%d %H:%M}",
                "zone": time_zone,
                "first": options[0].label,
                "second": options[1].label,
            },
            options,
        )
    if first.utcoffset() != second.utcoffset():
        if fold not in (0, 1):
            both = (TimeOption(local=first, fold=0), TimeOption(local=second, fold=1))
            raise ScheduleError(
                "ambiguous",
                _(
                    "%(time)s happens twice in %(zone)s because the clocks go back. "
                    "Choose %(first)s or %(second)s."
                )
                % {
                    "time": f"{naive:%Y-%m-%d %H:%M}",
                    "zone": time_zone,
                    "first": both[0].label,
                    "second": both[1].label,
                },
                both,
            )
        chosen = second if fold == 1 else first
    else:
        chosen = first
    utc = chosen.astimezone(dt.UTC)
    if utc < now - CLOCK_SKEW:
        raise ScheduleError(
            "past",
            _("%(time)s in %(zone)s is in the past. Choose a later time.")
            % {"time": f"{naive:%Y-%m-%d %H:%M}", "zone": time_zone},
        )
    return ResolvedTime(utc=utc, local=chosen, fold=chosen.fold)
