"""Template filters for showing text that came from outside (citizens, networks)."""

from django import template

from townsquare.core.text import strip_bidi_controls

register = template.Library()


@register.filter
def outside_text(value: object) -> str:
    """Direction controls removed; still escaped by the template, and shown in <bdi>."""
    return strip_bidi_controls(str(value or ""))
