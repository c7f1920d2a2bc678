"""Account health charts: Vega-Lite specs rendered on the server to accessible SVG.

No script reaches the browser (the CSP allows none inline): vl-convert renders the spec
offline, and the SVG gets a <title> and <desc> for assistive technology. Every chart is
followed on the page by a table with the same numbers.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from townsquare.channels.health import FollowerPoint, WeekPoint

logger = logging.getLogger(__name__)

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
# d3 time-format locales shipped with vl-convert, for month names on time axes.
TIME_LOCALES = {"ar": "ar-EG", "zh-hans": "zh-CN"}
POSTS_COLOUR, REPLIES_COLOUR = "#005ea2", "#c05600"
_OPENING_TAG = re.compile(r"<svg\b[^>]*>")
_INNER_ARIA = re.compile(r'\s(?:role|aria-roledescription|aria-label|aria-hidden)="[^"]*"')
_UNSAFE = re.compile(r"<script|<foreignObject|\son\w+\s*=|javascript:", re.IGNORECASE)


def _number_locale() -> dict[str, Any]:
    """d3-format locale with the separators Django uses for the active language, so the
    chart shows numbers exactly as the table beside it does."""
    return {
        "decimal": str(get_format("DECIMAL_SEPARATOR")),
        "thousands": str(get_format("THOUSAND_SEPARATOR")),
        "grouping": [int(get_format("NUMBER_GROUPING")) or 3],
        "currency": ["", ""],
    }


def _base_spec(description: str) -> dict[str, Any]:
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": description,
        "width": 560,
        "height": 220,
        "background": "white",
        # The SVG as a whole is one labelled image; Vega's own (English) ARIA text is off.
        "config": {"aria": False, "font": "sans-serif",
                   "axis": {"labelFontSize": 12, "titleFontSize": 12},
                   "legend": {"labelFontSize": 12, "titleFontSize": 12}},
    }


def render_svg(spec: dict[str, Any], *, chart_id: str, title: str, description: str) -> SafeString:
    """The SVG markup of ``spec``, labelled by ``title`` and ``description``; empty when
    the renderer is unavailable (the data table still carries the numbers)."""
    try:
        import vl_convert

        time_locale: Any = TIME_LOCALES.get(get_language() or "", "en-US")
        svg = vl_convert.vegalite_to_svg(
            spec, format_locale=_number_locale(), time_format_locale=time_locale
        )
    except Exception:  # a chart must never take the page down with it
        logger.exception("chart %s could not be rendered", chart_id)
        return mark_safe("")
    # The whole SVG is one labelled image: roles Vega still puts on inner groups
    # (graphics-symbol…) would be unlabelled images of their own to assistive technology.
    svg = _INNER_ARIA.sub("", svg)
    opening = _OPENING_TAG.search(svg)
    if opening is None or _UNSAFE.search(svg):
        logger.error("chart %s: unexpected SVG output", chart_id)
        return mark_safe("")
    # Axes are drawn left to right in every language (direction would otherwise be
    # inherited from a right-to-left page and flip the anchoring of every label).
    tag = opening.group(0)[:-1].replace('class="marks"', 'class="marks ts-chart"') + (
        f' role="img" focusable="false" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' direction="ltr" id="{chart_id}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    # The SVG comes from our own numbers and labels, which the renderer escapes as text.
    return mark_safe(svg[: opening.start()] + tag + svg[opening.end():])  # noqa: S308


def week_label(week: WeekPoint) -> str:
    return date_format(week.start, "MONTH_DAY_FORMAT")


def _count_axis(top: int) -> dict[str, Any]:
    """Whole numbers only: small counts get one tick per unit instead of 0.5 steps."""
    if top <= 10:
        return {"format": ",d", "values": list(range(max(top, 1) + 1))}
    return {"format": ",d", "tickCount": 5}


def activity_chart(weeks: list[WeekPoint]) -> SafeString:
    posts, replies = _("Posts"), _("Replies")
    labels = [week_label(w) for w in weeks]
    values = []
    top = max((max(w.posts, w.replies) for w in weeks), default=0)
    for label, week in zip(labels, weeks, strict=True):
        values.append({"week": label, "kind": posts, "count": week.posts})
        values.append({"week": label, "kind": replies, "count": week.replies})
    title = _("Posts and replies per week")
    description = _("Bars for each of the last %(weeks)s weeks: posts and replies to "
                    "citizens. The same numbers are in the table below.") % {"weeks": len(weeks)}
    spec = {
        **_base_spec(description),
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "week", "type": "ordinal", "sort": labels,
                  "title": _("Week starting"), "axis": {"labelAngle": -45}},
            "xOffset": {"field": "kind", "sort": [posts, replies]},
            "y": {"field": "count", "type": "quantitative", "title": _("Number"),
                  "axis": _count_axis(top)},
            "color": {"field": "kind", "type": "nominal", "title": None,
                      "sort": [posts, replies],
                      "scale": {"domain": [posts, replies],
                                "range": [POSTS_COLOUR, REPLIES_COLOUR]}},
        },
    }
    return render_svg(spec, chart_id="chart-activity", title=title, description=description)


def followers_chart(points: list[FollowerPoint]) -> SafeString:
    if not points:
        return mark_safe("")
    title = _("Followers over time")
    description = _("Follower counts recorded each day over the last 90 days. The same "
                    "numbers are in the table below.")
    spec = {
        **_base_spec(description),
        "data": {"values": [{"day": p.day.isoformat(), "followers": p.followers}
                            for p in points]},
        "mark": {"type": "line", "point": True, "color": POSTS_COLOUR},
        "encoding": {
            "x": {"field": "day", "type": "temporal", "title": _("Day"),
                  "scale": {"type": "utc"}, "axis": {"format": "%b %d", "labelAngle": -45}},
            "y": {"field": "followers", "type": "quantitative", "title": _("Followers"),
                  "axis": {"format": ",d"}, "scale": {"zero": False}},
        },
    }
    return render_svg(spec, chart_id="chart-followers", title=title, description=description)
