"""The opinion-groups page of a consultation: who thinks alike over the statements.

The analysis itself is engagement.opinion_groups (pure NumPy / scikit-learn); this page
feeds it the votes on published statements and shows what each group thinks, the
consensus and the divisive statements, and a map of participants with a data table.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from townsquare.channels.health_charts import _base_spec, render_svg
from townsquare.core.http import StaffRequest
from townsquare.engagement import opinion_groups
from townsquare.engagement.consultation_models import ModerationState
from townsquare.engagement.consultation_selectors import (
    consultation_get_for_user,
    statement_votes,
)

# Colour-blind safe (Okabe–Ito), one per group (the analysis makes at most five).
GROUP_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9"]


def _reason(code: str) -> str:
    return {
        opinion_groups.REASON_NO_VOTES: _("Nobody has voted on a statement yet."),
        opinion_groups.REASON_TOO_FEW_STATEMENTS: _(
            "Opinion groups need votes on at least two published statements."),
        opinion_groups.REASON_TOO_FEW_PARTICIPANTS: _(
            "Not enough people have voted on enough statements yet to find groups."),
    }.get(code, _("There is not enough data yet."))


def _group_name(label: int) -> str:
    return _("Group %(letter)s") % {"letter": "ABCDEFGHIJ"[label % 10]}


def opinion_chart(analysis: Any) -> SafeString:
    """Each participant as a dot on the two main axes of disagreement, coloured by group."""
    if not analysis.coordinates:
        return mark_safe("")
    names = [_group_name(g.label) for g in analysis.groups]
    values = [{"x": round(x, 3), "y": round(y, 3),
               "group": _group_name(analysis.membership.get(key, 0))}
              for key, (x, y) in analysis.coordinates.items()]
    description = _("Each dot is one participant; people who voted alike are close together. "
                    "The colours are the opinion groups; their sizes are in the table below.")
    spec = {
        **_base_spec(description), "height": 320,
        "data": {"values": values},
        "mark": {"type": "point", "filled": True, "size": 40, "opacity": 0.7},
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "title": None,
                  "axis": {"labels": False, "ticks": False}},
            "y": {"field": "y", "type": "quantitative", "title": None,
                  "axis": {"labels": False, "ticks": False}},
            "color": {"field": "group", "type": "nominal", "title": _("Group"),
                      "scale": {"domain": names, "range": GROUP_COLOURS[:len(names)]}},
            "shape": {"field": "group", "type": "nominal", "title": _("Group"),
                      "scale": {"domain": names}},
        },
    }
    return render_svg(spec, chart_id="opinion-map", title=_("Opinion groups"),
                      description=description)


@login_required
def consultation_opinion(request: StaffRequest, consultation_id: int) -> HttpResponse:
    consultation = consultation_get_for_user(request.user, consultation_id)
    statements = {s.pk: s for s in consultation.statements.filter(
        state=ModerationState.PUBLISHED)}
    analysis = opinion_groups.analyse(statement_votes(consultation))
    groups = [{"name": _group_name(g.label), "group": g,
               "representative": [statements[i] for i in g.representative if i in statements]}
              for g in analysis.groups]
    rows = [{"statement": statement,
             "cells": [(round(100 * g.agree.get(pk, 0)), round(100 * g.disagree.get(pk, 0)))
                       for g in analysis.groups],
             "consensus": pk in analysis.consensus, "divisive": pk in analysis.divisive}
            for pk, statement in statements.items()]
    return render(request, "engagement/console/consultation_opinion.html", {
        "consultation": consultation, "analysis": analysis, "groups": groups, "rows": rows,
        "reason": "" if analysis.enough_data else _reason(analysis.reason),
        "consensus": [statements[i] for i in analysis.consensus if i in statements],
        "divisive": [statements[i] for i in analysis.divisive if i in statements],
        "chart": opinion_chart(analysis) if analysis.enough_data else "",
        "voters": len({key for key, _s, _v in statement_votes(consultation)}),
    })
