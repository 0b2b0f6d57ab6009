"""Sign-in with a lockout, for both login pages (the studio's /login/ and the admin's): too
many failed sign-ins for an account or from an address (selectors.login_lockout) and even the
right password is refused, with a message that says so and when to try again; the page
answers 429. The check runs before the password is, and is the same for names that exist and
names that do not, so a lockout never tells which accounts are real."""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ValidationError

from . import selectors, services

LOCKED_MESSAGE = (
    "Too many failed sign-ins for this account or from this address. Try again in %(minutes)s "
    "minute(s), or ask an operator to unlock it (manage.py unlock_logins)."
)


def client_address(request) -> str:
    if settings.COGVIDEO_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class LoginLockoutMixin:
    """Mix in before django.contrib.auth.forms.AuthenticationForm (or the admin's)."""

    locked_for: float | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        address = client_address(self.request)
        self.locked_for = selectors.login_lockout(username, address)
        if self.locked_for is not None:
            raise ValidationError(
                LOCKED_MESSAGE, code="locked", params={"minutes": max(1, math.ceil(self.locked_for / 60))}
            )
        try:
            cleaned = super().clean()
        except ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                services.record_failed_login(username, address)
            raise
        services.forget_account_failures(username)
        return cleaned


def mark_locked(response, form) -> None:
    """The login page answers 429 + Retry-After while the sign-in is locked out."""
    locked_for = getattr(form, "locked_for", None)
    if locked_for is not None:
        response.status_code = 429
        response["Retry-After"] = str(max(1, math.ceil(locked_for)))
