"""`Authorization: Bearer <token>` (and DRF's `Token <token>`) with the service's API tokens,
looked up by their digest (videos/token_rules.py). request.auth is the ApiToken."""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from .. import selectors, services


class TokenExpired(AuthenticationFailed):
    default_detail = "This token has expired."
    default_code = "token_expired"


class BearerTokenAuthentication(BaseAuthentication):
    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in self.keywords:
            return None
        if len(auth) != 2:
            raise AuthenticationFailed("Invalid Authorization header: use 'Bearer <token>'.")
        try:
            key = auth[1].decode()
        except UnicodeError:
            raise AuthenticationFailed("Invalid token.") from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key):
        # Never echo the key back, nor say whether it was ever valid.
        token = selectors.token_for_text(key)
        if token is None or token.revoked_at is not None or not token.user.is_active:
            raise AuthenticationFailed("Invalid or revoked token.")
        if token.is_expired():
            raise TokenExpired()
        services.touch_token(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
