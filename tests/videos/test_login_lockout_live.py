"""The login lockout through the real processes: failures counted by one gunicorn worker lock
the account in the other (the count is in the database), on both login pages, until
`manage.py unlock_logins` clears it."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.live
PASSWORD = "lock-test-pass-5521"


def csrf_token(client: httpx.Client, page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(page).text).group(1)


def sign_in(client: httpx.Client, page: str, password: str) -> httpx.Response:
    # A new connection each time, so the requests spread over both gunicorn workers.
    data = {"username": "lockme", "password": password, "csrfmiddlewaretoken": csrf_token(client, page)}
    return client.post(page, data=data, headers={"Connection": "close"})


def test_both_login_pages_lock_after_the_accounts_failures_until_unlocked(live):
    live.manage(
        "shell", "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_superuser('lockme', password='{PASSWORD}')",
    )  # fmt: skip
    with httpx.Client(base_url=live.url, timeout=30) as client:
        # COGVIDEO_LOGIN_FAILURES_PER_ACCOUNT is 3 for the test service (tests/support/live.py).
        assert {sign_in(client, "/login/", "wrong").status_code for _ in range(3)} == {200}
        for page in ("/login/", "/admin/login/"):
            locked = sign_in(client, page, PASSWORD)
            assert locked.status_code == 429, (page, locked.text[:300])
            assert "Too many failed sign-ins" in locked.text and int(locked.headers["Retry-After"]) > 0
        cleared = live.manage("unlock_logins", "--user", "lockme").stdout
        assert cleared == "Unlocked account 'lockme': cleared 3 failed sign-in(s).\n"
        assert sign_in(client, "/admin/login/", PASSWORD).status_code == 302
    # The address's failures stay counted (under its limit of 30) until cleared.
    assert "Unlocked all accounts and addresses" in live.manage("unlock_logins", "--all").stdout
