"""Failed sign-ins on the studio and admin login pages: recorded per account and per client
address, forgotten on success (the account's only) or by `manage.py unlock_logins`. Whether a
sign-in is refused is read by selectors.login_lockout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import LoginFailure

account_key = LoginFailure.account_key


def record_failed_login(username: str, address: str) -> None:
    """Count one failed sign-in, whether or not the account exists (the count, and so the
    lockout, must not tell which names are real). Rows older than the window go at the
    same time, so the table holds one window of failures."""
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        [
            LoginFailure(scope=LoginFailure.ACCOUNT, key=account_key(username), created_at=now),
            LoginFailure(scope=LoginFailure.ADDRESS, key=address[:64], created_at=now),
        ]
    )
    window = timedelta(seconds=settings.COGVIDEO_LOGIN_FAILURE_WINDOW_SECONDS)
    LoginFailure.objects.filter(created_at__lte=now - window).delete()


def forget_account_failures(username: str) -> None:
    """After a successful sign-in: the account starts afresh (its address does not, so
    signing in to one's own account does not reset a guesser's count)."""
    LoginFailure.objects.filter(scope=LoginFailure.ACCOUNT, key=account_key(username)).delete()


@dataclass
class Cleared:
    failures: int
    accounts: int
    addresses: int


def unlock_logins(*, username: str | None = None, address: str | None = None, everything: bool = False) -> Cleared:
    """Forget the failed sign-ins of one account, one address, or all of them."""
    if everything:
        rows = LoginFailure.objects.all()
    elif username is not None:
        rows = LoginFailure.objects.filter(scope=LoginFailure.ACCOUNT, key=account_key(username))
    elif address is not None:
        rows = LoginFailure.objects.filter(scope=LoginFailure.ADDRESS, key=address[:64])
    else:
        raise ValueError("Say which: username, address or everything.")
    accounts = rows.filter(scope=LoginFailure.ACCOUNT).values("key").distinct().count()
    addresses = rows.filter(scope=LoginFailure.ADDRESS).values("key").distinct().count()
    # Each failure left one row per scope (an earlier --user or --address took one of them).
    failures = max(rows.filter(scope=LoginFailure.ACCOUNT).count(), rows.filter(scope=LoginFailure.ADDRESS).count())
    rows.delete()
    return Cleared(failures=failures, accounts=accounts, addresses=addresses)
