"""Listening charts: Vega-Lite specs rendered on the server to labelled SVG (see
channels.health_charts); every chart is followed on the page by a table of the same
numbers, so nothing is only in a picture."""

from __future__ import annotations

from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from townsquare.channels.health_charts import VEGA_LITE_SCHEMA, render_svg
from townsquare.listening.share import Share
from townsquare.listening.stats import PeriodStats

VOLUME_COLOUR = "#005ea2"
# Colour-blind-safe and distinguishable in greyscale; the table carries the labels.
SENTIMENT_COLOURS = {"negative": "#b50909", "neutral": "#757575", "positive": "#00a91c"}


def sentiment_label(value: str) -> str:
    return {"negative": _("Negative"), "neutral": _("Neutral"),
            "positive": _("Positive")}.get(value, value)


def _spec(description: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": VEGA_LITE_SCHEMA, "description": description, "width": 560, "height": 200,
        "background": "white", "data": {"values": values},
        "config": {"aria": False, "font": "sans-serif",
                   "axis": {"labelFontSize": 12, "titleFontSize": 12},
                   "legend": {"labelFontSize": 12, "titleFontSize": 12}},
    }


def _day(point_day: Any) -> str:
    return date_format(point_day, "MONTH_DAY_FORMAT")


def volume_chart(stats: PeriodStats) -> SafeString:
    if not stats.days:
        return mark_safe("")
    labels = [_day(p.day) for p in stats.days]
    title = _("Matching posts per day")
    description = _("Bars for each day of the period: how many posts matched the query. "
                    "The same numbers are in the table below.")
    spec = {
        **_spec(description, [{"day": label, "count": p.count}
                              for label, p in zip(labels, stats.days, strict=True)]),
        "mark": {"type": "bar", "color": VOLUME_COLOUR},
        "encoding": {
            "x": {"field": "day", "type": "ordinal", "sort": labels, "title": _("Day"),
                  "axis": {"labelAngle": -45}},
            "y": {"field": "count", "type": "quantitative", "title": _("Posts"),
                  "axis": {"format": ",d", "tickMinStep": 1}},
        },
    }
    return render_svg(spec, chart_id="chart-volume", title=title, description=description)


def sentiment_chart(stats: PeriodStats) -> SafeString:
    if not stats.total:
        return mark_safe("")
    labels = [_day(p.day) for p in stats.days]
    names = [sentiment_label(s) for s in SENTIMENT_COLOURS]
    values = [
        {"day": label, "sentiment": sentiment_label(mood), "count": p.sentiment[mood]}
        for label, p in zip(labels, stats.days, strict=True) for mood in SENTIMENT_COLOURS
    ]
    title = _("Sentiment per day")
    description = _("Stacked bars for each day: negative, neutral and positive posts. The "
                    "same numbers are in the table below.")
    spec = {
        **_spec(description, values),
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "day", "type": "ordinal", "sort": labels, "title": _("Day"),
                  "axis": {"labelAngle": -45}},
            "y": {"field": "count", "type": "quantitative", "stack": True, "title": _("Posts"),
                  "axis": {"format": ",d", "tickMinStep": 1}},
            "color": {"field": "sentiment", "type": "nominal", "title": None,
                      "sort": names,
                      "scale": {"domain": names, "range": list(SENTIMENT_COLOURS.values())}},
        },
    }
    return render_svg(spec, chart_id="chart-sentiment", title=title, description=description)


def topic_chart(stats: PeriodStats) -> SafeString:
    if not stats.topics:
        return mark_safe("")
    title = _("Topics of matching posts")
    description = _("Horizontal bars: how many matching posts were about each topic. The "
                    "same numbers are in the table below.")
    spec = {
        **_spec(description, [{"topic": t, "count": c} for t, c in stats.topics]),
        "mark": {"type": "bar", "color": VOLUME_COLOUR},
        "encoding": {
            "y": {"field": "topic", "type": "nominal", "sort": "-x", "title": _("Topic")},
            "x": {"field": "count", "type": "quantitative", "title": _("Posts"),
                  "axis": {"format": ",d", "tickMinStep": 1}},
        },
    }
    return render_svg(spec, chart_id="chart-topics", title=title, description=description)


def share_chart(shares: list[Share], *, chart_id: str, title: str,
                heading: str) -> SafeString:
    """Horizontal bars of each part's share of voice, in percent."""
    if not shares:
        return mark_safe("")
    description = _("Horizontal bars: each part's share of the posts, in percent. The same "
                    "numbers are in the table below.")
    values = [{"part": s.label, "percent": round(s.percent, 1)} for s in shares]
    spec = {
        **_spec(description, values),
        "height": max(60, 28 * len(shares)),
        "mark": {"type": "bar", "color": VOLUME_COLOUR},
        "encoding": {
            "y": {"field": "part", "type": "nominal", "sort": "-x", "title": heading},
            "x": {"field": "percent", "type": "quantitative", "title": _("Share (%)"),
                  "scale": {"domain": [0, 100]}},
        },
    }
    return render_svg(spec, chart_id=chart_id, title=title, description=description)
