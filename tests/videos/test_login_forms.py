"""The login lockout on both login pages (videos/login_forms.py): per account and per address,
a clear message with 429, no hint whether an account exists, and `manage.py unlock_logins`.
Through the real gunicorn workers: tests/videos/test_login_lockout_live.py."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

PAGES = ("/login/", "/admin/login/")
LOCKED = "Too many failed sign-ins for this account or from this address"


@pytest.fixture
def lock_settings(settings):
    settings.COGVIDEO_LOGIN_FAILURES_PER_ACCOUNT = 3
    settings.COGVIDEO_LOGIN_FAILURES_PER_ADDRESS = 5
    settings.COGVIDEO_LOGIN_FAILURE_WINDOW_SECONDS = 900
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; not what is tested
    return settings


@pytest.fixture
def admin_user(db, lock_settings):
    return get_user_model().objects.create_superuser("root", password="root-pass-9313")


def sign_in(page: str, username: str, password: str, address: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=address).post(page, {"username": username, "password": password})


def unlock(*args: str) -> str:
    out = io.StringIO()
    call_command("unlock_logins", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("page", PAGES)
def test_an_account_is_locked_after_its_failures_then_unlocked(page, admin_user, lock_settings):
    assert [sign_in(page, "root", "wrong").status_code for _ in range(3)] == [200, 200, 200]
    locked = sign_in(page, "root", "root-pass-9313")  # the right password, refused
    assert locked.status_code == 429 and LOCKED in locked.content.decode()
    assert 840 < int(locked["Retry-After"]) <= 900 and "Try again in 15 minute(s)" in locked.content.decode()
    # The lock is the account's, on both pages, from any address.
    other_page = PAGES[1 - PAGES.index(page)]
    assert sign_in(other_page, "root", "root-pass-9313", address="10.9.9.9").status_code == 429
    assert unlock("--user", "root") == "Unlocked account 'root': cleared 3 failed sign-in(s).\n"
    assert sign_in(page, "root", "root-pass-9313").status_code == 302


def test_an_address_is_locked_for_every_account(admin_user, lock_settings):
    for number in range(5):  # one or two tries each: under the account limit
        sign_in(PAGES[number % 2], f"guess{number}", "wrong")
    assert sign_in("/login/", "root", "root-pass-9313").status_code == 429
    assert sign_in("/admin/login/", "root", "root-pass-9313", address="10.0.0.2").status_code == 302
    assert unlock("--address", "10.0.0.1") == "Unlocked address 10.0.0.1: cleared 5 failed sign-in(s).\n"
    assert sign_in("/login/", "root", "root-pass-9313").status_code == 302


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize("page", PAGES)
def test_the_lockout_does_not_tell_whether_an_account_exists(page, admin_user, lock_settings):
    answers = {}
    for name in ("root", "nobody-here"):
        for _ in range(3):
            sign_in(page, name, "wrong", address=f"10.1.0.{len(answers)}")
        answers[name] = sign_in(page, name, "also-wrong", address=f"10.1.0.{len(answers)}")
    real, made_up = answers["root"], answers["nobody-here"]
    assert real.status_code == made_up.status_code == 429
    assert _without_csrf(real.content.decode()).replace("root", "NAME") == _without_csrf(
        made_up.content.decode()
    ).replace("nobody-here", "NAME")


def test_a_success_resets_the_accounts_count(admin_user, lock_settings):
    for _ in range(2):
        sign_in("/login/", "root", "wrong")
    assert sign_in("/login/", "root", "root-pass-9313").status_code == 302
    for _ in range(2):
        sign_in("/login/", "root", "wrong")
    assert sign_in("/login/", "root", "root-pass-9313").status_code == 302


def test_unlock_all_says_what_it_cleared_and_needs_a_choice(admin_user, lock_settings):
    sign_in("/login/", "root", "wrong", address="10.2.0.1")
    sign_in("/admin/login/", "ghost", "wrong", address="10.2.0.2")
    assert unlock("--all") == (
        "Unlocked all accounts and addresses (2 account(s), 2 address(es)): cleared 2 failed sign-in(s).\n"
    )
    assert unlock("--user", "root") == "Nothing to clear for account 'root': no failed sign-ins on record.\n"
    with pytest.raises(CommandError):
        call_command("unlock_logins")


def test_behind_a_proxy_the_forwarded_address_counts(admin_user, lock_settings):
    lock_settings.COGVIDEO_TRUST_X_FORWARDED_FOR = True
    for number in range(5):
        Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7").post(
            "/login/", {"username": f"guess{number}", "password": "wrong"}
        )
    assert sign_in("/login/", "root", "root-pass-9313", address="127.0.0.1").status_code == 302
    assert "cleared 5" in unlock("--address", "203.0.113.7")
