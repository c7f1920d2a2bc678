"""Location questions: an area from the survey's list, a typed address or landmark, and
optionally coordinates, all working without JavaScript and with a screen reader.

Form fields: ``q-<key>-area`` (a select of the question's options), ``q-<key>-place``
(text) and ``q-<key>-lat`` / ``q-<key>-lon`` (plain text boxes a citizen may type into;
``static/townsquare/location.js`` adds a "use my location" button that fills them when the
browser offers geolocation). Coordinates are rounded to 3 decimals (about 100 m) before
they are stored, so an answer never pinpoints a home. No map tiles are loaded: the
installation may have no internet, and a list of areas is accessible where a map is not.

Stored value: ``{"area": value, "place": text, "lat": float, "lon": float}`` with only
the parts given.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from townsquare.engagement.models import Question
from townsquare.engagement.suppression import suppress

MAX_PLACE = 300
PRECISION = 3  # decimal places kept: 0.001 degree is about 111 m of latitude


def areas(question: Question) -> list[Any]:
    return [c for c in question.choices.all() if c.role == "option"]


def _coordinate(raw: str, low: float, high: float, message: str) -> float:
    if len(raw) > 30:
        raise ValidationError(message)
    try:
        number = float(raw.replace(",", "."))
    except ValueError as exc:
        raise ValidationError(message) from exc
    if not math.isfinite(number) or not low <= number <= high:
        raise ValidationError(message)
    return round(number, PRECISION)


def read_location_answer(question: Question, data: Any) -> dict[str, Any] | None:
    """The value to store, None when nothing was given; ValidationError otherwise."""
    name = f"q-{question.key}"
    answer: dict[str, Any] = {}
    area = str(data.get(f"{name}-area", "") or "").strip()
    if area:
        if area not in {a.value for a in areas(question)}:
            raise ValidationError(_("Choose an area from the list."))
        answer["area"] = area
    place = "".join(ch for ch in str(data.get(f"{name}-place", "") or "")
                    if unicodedata.category(ch) != "Cc").strip()
    if len(place) > MAX_PLACE:
        raise ValidationError(_("Keep the address or landmark under %(limit)s characters.")
                              % {"limit": MAX_PLACE})
    if place:
        answer["place"] = place
    lat = str(data.get(f"{name}-lat", "") or "").strip()
    lon = str(data.get(f"{name}-lon", "") or "").strip()
    if lat or lon:
        if not (lat and lon):
            raise ValidationError(_("Give both the latitude and the longitude, or neither."))
        answer["lat"] = _coordinate(lat, -90, 90, _(
            "Enter the latitude as a number from -90 to 90, for example 51.501."))
        answer["lon"] = _coordinate(lon, -180, 180, _(
            "Enter the longitude as a number from -180 to 180, for example -0.142."))
    return answer or None


def location_text(value: Any) -> str:
    """One cell of the response table."""
    if not isinstance(value, dict):
        return ""
    parts = [f"area={value['area']}"] if value.get("area") else []
    if value.get("place"):
        parts.append(f"place={value['place']}")
    if value.get("lat") is not None and value.get("lon") is not None:
        parts.append(f"lat={value['lat']}; lon={value['lon']}")
    return "; ".join(parts)


def area_table(question: Question, values: list[Any], k: int) -> dict[str, Any]:
    """Answers per area with small counts hidden, and how many gave a place or coordinates.

    A count of 1 to k-1 is hidden, and another small one with it when a single hidden
    count could be worked out from the total (``suppression``).
    """
    given = [v for v in values if isinstance(v, dict)]
    counts = Counter(v.get("area") for v in given if v.get("area"))
    rows = [(str(a), counts[a.value]) for a in areas(question)]
    hidden = suppress([[n] for _label, n in rows], k) if rows else []
    return {
        "rows": [(label, None if hidden[i][0] else n) for i, (label, n) in enumerate(rows)],
        "with_place": sum(1 for v in given if v.get("place")),
        "with_coordinates": sum(1 for v in given if v.get("lat") is not None),
        "any_hidden": any(h[0] for h in hidden),
        "k": k,
    }
