from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def owner_browser(owner) -> Client:
    """A browser-like client signed in as the owner, with CSRF checks on (as in real use)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/")  # sets the csrftoken cookie, as opening the page does
    return client


@pytest.fixture
def stranger_browser(stranger) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(stranger)
    client.get("/")
    return client


def csrf_headers(client: Client) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}
