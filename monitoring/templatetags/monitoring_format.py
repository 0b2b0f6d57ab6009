"""Number formatting for the dashboard: "—" for "no data", never a misleading 0."""

from __future__ import annotations

from django import template

register = template.Library()

DASH = "—"


@register.filter
def percent(value) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


@register.filter
def seconds(value) -> str:
    if value is None:
        return DASH
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


@register.filter
def gib(value) -> str:
    return DASH if value is None else f"{value / 2**30:.2f} GiB"


@register.filter
def raw(value) -> str:
    """The exact value for data-value attributes (tests and scripts read these)."""
    return "" if value is None else str(value)
