"""What a scoped browser token may do (docs/BROWSER_TOKENS.md): only the actions it lists, each
an endpoint's `token_action`, and only from an allowed origin. Account tokens and sessions
pass through unchanged."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .. import selectors
from ..models import ApiToken


class OriginNotAllowed(PermissionDenied):
    default_code = "origin_not_allowed"


class ActionNotAllowed(PermissionDenied):
    default_code = "action_not_allowed"


def scoped_token(request) -> ApiToken | None:
    """The scoped token behind a request, or None (account token, session, anonymous)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) and auth.is_scoped else None


class ScopedTokenRules(BasePermission):
    def has_permission(self, request, view) -> bool:
        token = scoped_token(request)
        if token is None:
            return True
        origin = request.headers.get("Origin", "")
        if not origin or not selectors.token_allows_origin(token, origin):
            raise OriginNotAllowed("This token may be used only from its allowed origins (the Origin header).")
        action = getattr(view, "token_action", None)
        if action not in token.actions:
            raise ActionNotAllowed(
                f"This token may only: {', '.join(token.actions)}."
                + ("" if action else " This endpoint needs an account token.")
            )
        return True
