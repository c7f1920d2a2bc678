"""Result charts: Vega-Lite bar charts rendered to accessible SVG on the server (the same
renderer as the account health charts), each followed on the page by a data table."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from townsquare.channels.health_charts import POSTS_COLOUR, _base_spec, render_svg
from townsquare.engagement.analysis import QuestionResult
from townsquare.engagement.models import QuestionKind


def share_chart(result: QuestionResult, chart_id: str) -> SafeString:
    """Horizontal bars: the share of respondents who chose each option."""
    if not result.rows or not result.answered or result.question.kind == QuestionKind.RANKING:
        return mark_safe("")
    labels = [row.label for row in result.rows]
    title = str(result.question)
    if result.question.kind == QuestionKind.MULTIPLE:
        description = _("Share of the %(count)s respondents who chose each option; one person "
                        "may choose several. The same numbers are in the table below."
                        ) % {"count": result.answered}
    else:
        description = _("Share of the %(count)s respondents who gave each answer. The same "
                        "numbers are in the table below.") % {"count": result.answered}
    spec = {
        **_base_spec(description),
        "height": {"step": 28},
        "data": {"values": [{"answer": row.label, "share": row.share} for row in result.rows]},
        "mark": {"type": "bar", "color": POSTS_COLOUR},
        "encoding": {
            "y": {"field": "answer", "type": "nominal", "sort": labels, "title": None,
                  "axis": {"labelLimit": 260}},
            "x": {"field": "share", "type": "quantitative", "title": _("Share of respondents"),
                  "axis": {"format": ".0%"}, "scale": {"domain": [0, 1]}},
        },
    }
    return render_svg(spec, chart_id=chart_id, title=title, description=description)
