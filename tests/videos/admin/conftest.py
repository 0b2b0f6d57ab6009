"""Admin fixtures: editors (in the "Editors" group the migration creates, not staff) and a
superuser like the one launch.py creates."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

EDITOR_PASSWORD = "editor-pass-4829"


def _editor(username: str):
    user = get_user_model().objects.create_user(username=username, password=EDITOR_PASSWORD)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor(db):
    return _editor("edna")


@pytest.fixture
def other_editor(db):
    return _editor("otto")


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("admin", password="admin-pass-1234")


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(editor) -> Client:
    return _logged_in(editor)


@pytest.fixture
def other_editor_client(other_editor) -> Client:
    return _logged_in(other_editor)


@pytest.fixture
def superuser_client(superuser) -> Client:
    return _logged_in(superuser)
