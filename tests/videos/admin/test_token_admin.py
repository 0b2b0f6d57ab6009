"""API tokens in the admin: a stored token is never shown again, only its first characters, in
the list, its page, the delete page, titles, messages and the action log; the full key once,
on the page that answers its creation."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

LIST = "/admin/videos/apitoken/"


def test_the_list_and_pages_show_a_prefix_never_the_key(superuser, superuser_client):
    users = [get_user_model().objects.create_user(f"user{n}") for n in range(3)]
    tokens = [Token.objects.create(user=user) for user in users]
    pages = [
        LIST,
        f"{LIST}?q=user1",
        f"{LIST}{users[0].pk}/change/",
        f"{LIST}{users[0].pk}/history/",
        f"{LIST}{users[0].pk}/delete/",
        "/admin/",
    ]
    listing = superuser_client.get(LIST).content.decode()
    for token in tokens:
        assert f"{token.key[:4]}…" in listing
    for page in pages:
        response = superuser_client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        for token in tokens:
            assert token.key not in html and token.key[:8] not in html, page
    # DRF's own token admin (full keys) is gone.
    assert superuser_client.get("/admin/authtoken/tokenproxy/").status_code == 404


def test_a_new_token_is_shown_once_then_only_its_prefix(superuser, superuser_client):
    user = get_user_model().objects.create_user("newcomer")
    created = superuser_client.post(f"{LIST}add/", {"user": user.pk})
    key = Token.objects.get(user=user).key
    assert created.status_code == 200 and f'<code id="new-token">{key}</code>' in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    for page in (LIST, f"{LIST}{user.pk}/change/", f"{LIST}{user.pk}/history/", "/admin/"):
        assert key not in superuser_client.get(page).content.decode(), page
    deleted = superuser_client.post(f"{LIST}{user.pk}/delete/", {"post": "yes"}, follow=True)
    assert deleted.status_code == 200 and key not in deleted.content.decode()
    assert not Token.objects.filter(user=user).exists()
    logged = list(LogEntry.objects.values_list("object_repr", flat=True))
    assert len(logged) == 2 and all(key not in text and text.startswith(key[:4] + "…") for text in logged)
