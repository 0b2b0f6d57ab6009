"""GET /api/tasks: filters and cursor pagination."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from ..models import JobStatus

MAX_METADATA_FILTERS = 5
INVALID_CURSOR = "Invalid cursor: pass the next_cursor of a previous page unchanged."


def _cursor_position(raw: str) -> str | None:
    """The creation time a cursor points at, as an aware UTC ISO string; None if it is not one."""
    try:
        parsed = parse_datetime(raw)
        if parsed is None:
            return None
        parsed = make_aware(parsed, UTC) if is_naive(parsed) else parsed
        return parsed.astimezone(UTC).isoformat()
    except (ValueError, OverflowError):  # month 13; year 1 with an offset east of UTC
        return None


class TaskPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100

    def decode_cursor(self, request):
        """A cursor is ours only if it decodes to a known offset, direction and a creation time;
        anything else is the client's mistake (400 with the API's error shape), never a 404 or
        a 500 from a position the database cannot compare (`p=notadate`, `p=\\x00`)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from None
        if cursor is None or cursor.position is None:
            return cursor
        position = _cursor_position(cursor.position)
        if position is None:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]})
        return cursor._replace(position=position)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({"limit": [f"Must be a whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def get_paginated_response(self, data):
        from rest_framework.response import Response

        next_link = self.get_next_link()
        return Response(
            {
                "results": data,
                "next": next_link,
                "next_cursor": self._cursor_param(next_link),
                "previous": self.get_previous_link(),
            }
        )

    def _cursor_param(self, link: str | None) -> str | None:
        if not link:
            return None
        from urllib.parse import parse_qs, urlsplit

        return parse_qs(urlsplit(link).query).get(self.cursor_query_param, [None])[0]


@dataclass
class TaskFilters:
    status: str | None = None
    created_after: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, params) -> TaskFilters:
        errors: dict[str, list[str]] = {}
        filters = cls()
        status = params.get("status")
        if status:
            if status not in JobStatus.values:
                errors["status"] = [f"Must be one of {', '.join(JobStatus.values)}."]
            filters.status = status
        created_after = params.get("created_after")
        if created_after:
            try:
                parsed = parse_datetime(created_after)
            except ValueError:
                parsed = None
            if parsed is None:
                errors["created_after"] = ["Must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."]
            else:
                filters.created_after = make_aware(parsed) if is_naive(parsed) else parsed
        for name, value in params.items():
            if name.startswith("metadata."):
                key = name.removeprefix("metadata.")
                if not key.isidentifier():
                    errors[name] = ["Metadata keys are letters, digits and underscores."]
                filters.metadata[key] = value
        if len(filters.metadata) > MAX_METADATA_FILTERS:
            errors["metadata"] = [f"At most {MAX_METADATA_FILTERS} metadata filters."]
        if errors:
            raise ValidationError(errors)
        return filters

    def apply(self, jobs):
        if self.status:
            jobs = jobs.filter(status=self.status)
        if self.created_after:
            jobs = jobs.filter(created_at__gt=self.created_after)
        for key, value in self.metadata.items():
            # Query strings are text; metadata values may be numbers (a CMS post id).
            # `__exact` pins the lookup: a key such as "isnull" or "contains" stays a key name.
            match = Q(**{f"metadata__{key}__exact": value})
            if value.isascii() and value.lstrip("-").isdigit() and len(value) < 19:
                match |= Q(**{f"metadata__{key}__exact": int(value)})
            jobs = jobs.filter(match)
        return jobs
