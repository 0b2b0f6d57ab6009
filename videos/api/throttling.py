"""Per-token request rates (429 + Retry-After), counted by videos/rate_limits.py.

The rate of new jobs ("generate") is not a DRF throttle: services.create_job applies it to
every door that creates jobs (API, studio, admin), see services.create.check_generate_rate.
"""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from .. import rate_limits
from ..models import ApiToken


class _FixedWindowThrottle(BaseThrottle):
    scope = ""

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return True  # anonymous requests are refused by authentication, not counted here
        self.retry_after = rate_limits.hit(self.scope, user.pk)
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
