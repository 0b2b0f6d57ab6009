"""Server-rendered inline SVG charts (no JavaScript, no CDN): the page works offline and in
any browser, and what a chart shows is what the server computed."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

COLORS = {"completed": "#2e7d32", "failed": "#c62828", "canceled": "#9e9e9e", "bar": "#1565c0"}


def _n(value: float) -> str:
    """format_html escapes its arguments into strings, so numbers are formatted first."""
    return f"{value:.1f}"


def _nice_max(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^n at or above value, so the axis label is round."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def stacked_bars(
    columns: list[dict],
    series: list[str],
    *,
    label_every: int,
    label,
    title: str,
    width: int = 900,
    height: int = 180,
) -> SafeString:
    """One bar per column, stacked by `series` (keys of each column dict)."""
    left, bottom, top = 36, 22, 8
    plot_w, plot_h = width - left - 6, height - bottom - top
    peak = _nice_max(max((sum(column[s] for s in series) for column in columns), default=0))
    slot = plot_w / max(len(columns), 1)
    bar_w = max(slot * 0.8, 1)
    parts: list[str] = []
    for index, column in enumerate(columns):
        x = left + index * slot + (slot - bar_w) / 2
        y = top + plot_h
        tooltip = label(column) + ": " + ", ".join(f"{column[s]} {s}" for s in series)
        for name in series:
            value = column[name]
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                    _n(x),
                    _n(y),
                    _n(bar_w),
                    _n(h),
                    COLORS.get(name, COLORS["bar"]),
                    tooltip,
                )
            )
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#555">{}</text>',
                    _n(left + index * slot + slot / 2),
                    height - 6,
                    label(column),
                )
            )
    axis = format_html(
        '<line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="#999"/>'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/>'
        '<text x="{tx}" y="{ty}" font-size="10" text-anchor="end" fill="#555">{peak}</text>'
        '<text x="{tx}" y="{b}" font-size="10" text-anchor="end" fill="#555">0</text>',
        l=left,
        t=top,
        b=top + plot_h,
        r=left + plot_w,
        tx=left - 4,
        ty=top + 8,
        peak=f"{peak:g}",
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">{}{}</svg>',
        title,
        width,
        height,
        axis,
        mark_safe("".join(parts)),  # noqa: S308 - every part was built with format_html
    )


def legend(series: list[str]) -> SafeString:
    return format_html_join(
        " ",
        '<span class="legend"><svg width="10" height="10"><rect width="10" height="10" fill="{}"/></svg> {}</span>',
        ((COLORS.get(name, COLORS["bar"]), name) for name in series),
    )
