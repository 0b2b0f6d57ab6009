"""CORS for scoped browser tokens: /api/ answers a browser on an origin that a live (unrevoked,
unexpired) scoped token allows, on top of COGVIDEO_CORS_ALLOWED_ORIGINS. A preflight carries
no token, so it is answered for the origin; the request itself must then carry a token that
allows that very origin (videos/api/permissions.py), or it is refused with 403."""

from __future__ import annotations

import re

from django.conf import settings

from .. import selectors


def allow_scoped_token_origins(sender, request, **kwargs) -> bool:
    origin = request.headers.get("Origin", "")
    if not origin or not re.match(settings.CORS_URLS_REGEX, request.path_info):
        return False
    return selectors.live_scoped_token_allows_origin(origin)
