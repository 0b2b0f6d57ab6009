"""Who may use the admin: the Editors group (from the migration), staff, nobody else."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.test import Client

from tests.videos.admin.conftest import EDITOR_PASSWORD


def test_editors_group_has_exactly_the_editor_permissions(db):
    codenames = sorted(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert codenames == [
        "add_prompttemplate",
        "add_videojob",
        "change_prompttemplate",
        "view_prompttemplate",
        "view_video",
        "view_videojob",
    ]


def test_editor_signs_in_to_the_admin_with_a_password(editor):
    client = Client(enforce_csrf_checks=False)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "edna", "password": EDITOR_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200
    html = index.content.decode()
    assert "/admin/videos/videojob/" in html and "/admin/videos/prompttemplate/" in html
    # Nothing beyond the group's permissions: no users, no queue internals.
    assert "/admin/auth/user/" not in html and "/admin/django_q/" not in html


def test_user_outside_the_group_cannot_sign_in(owner):
    response = Client().post("/admin/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 200  # the form again, with an error
    assert "not authorized" in response.content.decode() or "correct username" in response.content.decode()
    assert Client().get("/admin/").status_code == 302


def test_anonymous_is_sent_to_the_login_page(db):
    response = Client().get("/admin/videos/videojob/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_django_q_admin_stays_available_to_staff(superuser_client):
    index = superuser_client.get("/admin/").content.decode()
    assert "/admin/django_q/" in index
    for page in ("/admin/django_q/success/", "/admin/django_q/failure/", "/admin/django_q/ormq/"):
        assert superuser_client.get(page).status_code == 200, page


def test_editor_cannot_open_django_q_pages(editor_client):
    assert editor_client.get("/admin/django_q/success/").status_code == 403
