"""CORS: off by default; an allow-list opens /api/ to listed origins only."""

from __future__ import annotations

from django.test import override_settings


def test_no_cors_headers_by_default(owner_api):
    response = owner_api.get("/api/tasks", HTTP_ORIGIN="https://cms.example.com")
    assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=["https://cms.example.com"])
def test_listed_origin_gets_preflight_and_headers(anon_api, owner_api):
    preflight = anon_api.options(
        "/api/generate",
        HTTP_ORIGIN="https://cms.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,idempotency-key",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://cms.example.com"
    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]
    response = owner_api.get("/api/tasks", HTTP_ORIGIN="https://cms.example.com")
    assert response["Access-Control-Allow-Origin"] == "https://cms.example.com"
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    other = owner_api.get("/api/tasks", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in other
