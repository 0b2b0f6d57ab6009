"""A scoped browser token over real HTTP against the shared live service: issued with an
account token, a browser's preflight and requests from its origin are answered (CORS), any
other origin is refused, and its job is its own."""

from __future__ import annotations

SHOP = "https://shop-live.example"
TINY = {"prompt": "A kite over the dunes", "duration": 1, "resolution": "64x64", "num_inference_steps": 2}


def test_a_page_uses_a_scoped_token_from_its_origin_only(live, owner_http, stranger_http):
    issued = owner_http.post(
        "/api/tokens/scoped",
        json={"actions": ["generate", "status"], "origins": [SHOP], "expires_in": 600, "job_quota": 1},
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    preflight = owner_http.options(
        "/api/generate",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.headers.get("access-control-allow-origin") == SHOP
    with live.client(token) as page:
        page.headers["Origin"] = SHOP
        created = page.post("/api/generate", json=TINY)
        assert created.status_code == 200 and created.headers["access-control-allow-origin"] == SHOP, created.text
        task_id = created.json()["task_id"]
        assert page.get(f"/api/status/{task_id}").json()["task_id"] == task_id
        quota = page.post("/api/generate", json=TINY)
        assert quota.status_code == 403 and quota.json()["error"]["code"] == "token_quota_exceeded"
        elsewhere = page.get(f"/api/status/{task_id}", headers={"Origin": "https://evil.example"})
        assert elsewhere.status_code == 403 and elsewhere.json()["error"]["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in elsewhere.headers
    assert stranger_http.get(f"/api/status/{task_id}").status_code == 404
    owner_http.post(f"/api/cancel/{task_id}")  # free the shared worker for the next tests
