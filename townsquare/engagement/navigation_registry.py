"""The engagement module's console page and search results."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from townsquare.core.navigation import NavItem, SearchResult, register_nav, register_search
from townsquare.engagement.selectors import polls_visible_to, surveys_visible_to

register_nav(NavItem("engagement", _("Surveys and polls"), "engagement:home", "poll", order=50))
register_nav(NavItem("consultations", _("Consultations"), "engagement:consultations", "comment",
                     order=51))


def _search(user: Any, query: str) -> list[SearchResult]:
    surveys = surveys_visible_to(user).filter(Q(title__icontains=query)
                                              | Q(slug__icontains=query))[:10]
    polls = polls_visible_to(user).filter(question__icontains=query)[:10]
    return [SearchResult(_("Survey"), str(s), reverse("engagement:survey", args=[s.pk]),
                         str(s.organisation)) for s in surveys] + [
        SearchResult(_("Poll"), str(p), reverse("engagement:poll", args=[p.pk]),
                     str(p.organisation)) for p in polls]


register_search("engagement", _search)
