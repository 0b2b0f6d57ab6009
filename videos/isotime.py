"""Timestamps as the API writes them: ISO 8601 in UTC with a ``Z`` (``2026-12-02T19:42:15Z``)."""

from __future__ import annotations

from datetime import datetime


def iso_z(value: datetime | None, timespec: str = "auto") -> str | None:
    """An aware datetime as ISO 8601 with ``Z`` for UTC; None stays None."""
    return value.isoformat(timespec=timespec).replace("+00:00", "Z") if value else None


def parse_iso_z(text: str) -> datetime:
    """The inverse of iso_z (Python 3.11's fromisoformat reads ``Z`` itself)."""
    return datetime.fromisoformat(text)
