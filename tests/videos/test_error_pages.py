"""Missing pages and server errors: the API's error shape under /api/, the studio's look
elsewhere, and an icon for every page."""

from __future__ import annotations

from django.test import Client, RequestFactory

from videos.error_pages import server_error


def test_a_missing_page_is_a_branded_404(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Page not found" in html and "CogVideoX Studio" in html and "/no-such-page/" in html
    assert "favicon.svg" in html


def test_a_missing_api_endpoint_answers_the_error_shape(db):
    response = Client().get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "There is no such API endpoint; see /api/docs/."}
    }


def test_a_server_error_page_renders_without_the_database_or_a_user():
    # No db fixture: the page must not touch the database (it may be what failed).
    page = server_error(RequestFactory().get("/studio/gallery"))
    assert page.status_code == 500 and "Something went wrong" in page.content.decode()
    api = server_error(RequestFactory().get("/api/tasks"))
    assert api.status_code == 500 and b'"code": "server_error"' in api.content


def test_the_favicon_is_served(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("videos/favicon.svg")
    icon = Client().get(response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])
