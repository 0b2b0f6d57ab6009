"""Per-token request rates (429 + Retry-After). Rates come from settings at request time,
so operators (and tests) can change them without DRF's import-time caching."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class _SettingsRateThrottle(UserRateThrottle):
    def get_rate(self) -> str | None:
        return settings.COGVIDEO_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class BurstThrottle(_SettingsRateThrottle):
    scope = "burst"


class SustainedThrottle(_SettingsRateThrottle):
    scope = "sustained"


class GenerateThrottle(_SettingsRateThrottle):
    scope = "generate"
