"""API tokens in the admin: only digests are stored, so a token is listed by its prefix (in the
list, its page, the delete page, titles, messages and the action log) and shown once, on the
page that answers its creation; revoking it from the admin makes the API refuse it."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model

from videos import services
from videos.models import ApiToken

LIST = "/admin/videos/apitoken/"


def test_the_list_and_pages_show_a_prefix_never_the_token(superuser, superuser_client):
    users = [get_user_model().objects.create_user(f"user{n}") for n in range(3)]
    issued = [services.issue_account_token(user) for user in users]
    first = issued[0].token.pk
    pages = [LIST, f"{LIST}?q=user1", f"{LIST}{first}/change/", f"{LIST}{first}/history/", f"{LIST}{first}/delete/"]
    listing = superuser_client.get(LIST).content.decode()
    for token in issued:
        assert f"{token.text[:12]}…" in listing
    for page in [*pages, "/admin/"]:
        response = superuser_client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        for token in issued:
            assert token.text not in html and token.text[:16] not in html, page
    # DRF's own token admin (its plaintext table, emptied by migration 0010) is gone.
    assert superuser_client.get("/admin/authtoken/tokenproxy/").status_code == 404


def test_a_new_token_is_shown_once_then_only_its_prefix(superuser, superuser_client):
    user = get_user_model().objects.create_user("newcomer")
    created = superuser_client.post(f"{LIST}add/", {"user": user.pk, "name": "cms"})
    assert created.status_code == 200, created.content[:500]
    token = ApiToken.objects.get(user=user, name="cms")
    text = created.content.decode().split('<code id="new-token">')[1].split("</code>")[0]
    assert text.startswith(token.prefix) and len(text) > 40 and text not in str(ApiToken.objects.values())
    assert "no-store" in created["Cache-Control"]
    for page in (LIST, f"{LIST}{token.pk}/change/", f"{LIST}{token.pk}/history/", "/admin/"):
        assert text not in superuser_client.get(page).content.decode(), page
    deleted = superuser_client.post(f"{LIST}{token.pk}/delete/", {"post": "yes"}, follow=True)
    assert deleted.status_code == 200 and text not in deleted.content.decode()
    assert not ApiToken.objects.filter(user=user).exists()
    logged = list(LogEntry.objects.values_list("object_repr", flat=True))
    assert len(logged) == 2 and all(text not in entry and entry.startswith(token.prefix + "…") for entry in logged)


def test_revoking_from_the_admin_stops_the_token(superuser, superuser_client, owner, owner_api):
    assert owner_api.get("/api/tasks").status_code == 200
    token = ApiToken.objects.get(user=owner)
    answer = superuser_client.post(LIST, {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert answer.status_code == 200 and "Revoked 1 token" in answer.content.decode()
    assert "revoked" in superuser_client.get(LIST).content.decode()
    refused = owner_api.get("/api/tasks")
    assert refused.status_code == 401 and owner.token not in refused.content.decode()
