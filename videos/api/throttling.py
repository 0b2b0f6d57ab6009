"""Per-token request rates (429 + Retry-After), counted by videos/rate_limits.py (rows in
the database). A counter that cannot be written lets the request through: a full disk must
not take reads down with it.

The rate of new jobs ("generate") is not a DRF throttle: services.create_job applies it to
every door that creates jobs (API, studio, admin), see services.create.check_generate_rate.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from rest_framework.throttling import BaseThrottle

from .. import rate_limits
from ..models import ApiToken

logger = logging.getLogger(__name__)


class _FixedWindowThrottle(BaseThrottle):
    scope = ""

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return True  # anonymous requests are refused by authentication, not counted here
        try:
            self.retry_after = rate_limits.hit(self.scope, user.pk)
        except DatabaseError as exc:
            # The counter could not be written (a full disk under SQLite, a read-only replica):
            # reads keep answering; new jobs are refused on their own (storage_full, 503).
            logger.warning("request rate %s not counted: %s", self.scope, exc)
            self.retry_after = None
        return self.retry_after is None

    def wait(self) -> float:
        return self.retry_after or 1.0


class BurstThrottle(_FixedWindowThrottle):
    scope = "burst"


class SustainedThrottle(_FixedWindowThrottle):
    scope = "sustained"


class ScopedTokenThrottle(BaseThrottle):
    """A scoped token's own rate (`rate_per_minute`), on top of its user's rates."""

    def allow_request(self, request, view) -> bool:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken) or not token.is_scoped or not token.rate_per_minute:
            return True
        self.retry_after = rate_limits.hit_rate("scoped-token", token.pk, token.rate_per_minute, 60)
        return self.retry_after is None

    def wait(self) -> float:
        return self.retry_after or 1.0
