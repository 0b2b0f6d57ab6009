"""Scoped browser tokens (issue 21, docs/BROWSER_TOKENS.md): issued by an account-token holder
through POST /api/tokens/scoped, they may do only their actions, only from their origins, see
only the jobs they created, expire, and have their own rate and job quota; CORS opens /api/ to
exactly the origins of live scoped tokens."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from videos.models import ApiToken

SHOP = "https://shop.example"
BODY = {"prompt": "A paper boat on a rainy street", "duration": 1, "resolution": "720x480"}
ALL_ACTIONS = ["generate", "status", "download", "list"]


def issue(client, **fields):
    body = {"actions": ALL_ACTIONS, "origins": [SHOP], "expires_in": 3600, **fields}
    return client.post("/api/tokens/scoped", json.dumps(body), content_type="application/json")


def browser(text: str, origin: str | None = SHOP) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}", **({"HTTP_ORIGIN": origin} if origin else {}))
    return client


def generate(client):
    return client.post("/api/generate", json.dumps(BODY), content_type="application/json")


@pytest.fixture
def scoped(owner_api):
    answer = issue(owner_api, rate_per_minute=100, job_quota=5)
    assert answer.status_code == 201, answer.content
    return answer.json()


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.content


def test_an_account_token_issues_one_shown_once_and_stored_as_a_digest(owner, owner_api, scoped):
    assert scoped["token"].startswith("cvs_") and scoped["prefix"] == scoped["token"][:12]
    assert scoped["origins"] == [SHOP] and scoped["actions"] == ALL_ACTIONS
    assert scoped["rate_per_minute"] == 100 and scoped["job_quota"] == 5 and scoped["expires_at"].endswith("Z")
    stored = ApiToken.objects.get(prefix=scoped["prefix"])
    assert stored.user == owner and stored.is_scoped and scoped["token"] not in str(ApiToken.objects.values())


def test_the_request_is_validated(owner_api):
    assert_error(issue(owner_api, origins=["https://shop.example/page"]), 400, "validation_error")
    assert_error(issue(owner_api, origins=["*"]), 400, "validation_error")
    assert_error(issue(owner_api, actions=["cancel"]), 400, "validation_error")
    assert_error(issue(owner_api, expires_in=10**9), 400, "validation_error")
    body = {"actions": ["status"], "origins": [SHOP]}  # no expiry
    missing = owner_api.post("/api/tokens/scoped", json.dumps(body), content_type="application/json")
    assert_error(missing, 400, "validation_error")
    assert "expires_in" in missing.json()["error"]["fields"]
    assert issue(owner_api, origins=["HTTPS://Shop.Example:443"]).json()["origins"] == [SHOP]


def test_a_scoped_token_cannot_create_tokens_or_leave_its_actions(scoped):
    token = browser(scoped["token"])
    assert_error(issue(token), 403, "action_not_allowed")
    assert_error(token.get("/api/system/status"), 403, "action_not_allowed")
    assert_error(token.get("/api/templates"), 403, "action_not_allowed")
    task_id = generate(token).json()["task_id"]
    assert_error(token.post(f"/api/cancel/{task_id}"), 403, "action_not_allowed")


def test_only_listed_actions(owner_api):
    status_only = issue(owner_api, actions=["status"]).json()["token"]
    assert_error(generate(browser(status_only)), 403, "action_not_allowed")
    assert_error(browser(status_only).get("/api/tasks"), 403, "action_not_allowed")


def test_the_origin_header_must_be_an_allowed_origin(scoped):
    assert_error(browser(scoped["token"], origin=None).get("/api/tasks"), 403, "origin_not_allowed")
    assert_error(browser(scoped["token"], origin="https://evil.example").get("/api/tasks"), 403, "origin_not_allowed")
    assert_error(browser(scoped["token"], origin=SHOP + ":8443").get("/api/tasks"), 403, "origin_not_allowed")
    assert browser(scoped["token"]).get("/api/tasks").status_code == 200


def test_a_scoped_token_sees_only_its_own_jobs(owner_api, stranger_api, scoped):
    token = browser(scoped["token"])
    own = generate(token)
    assert own.status_code == 200, own.content
    own_id = own.json()["task_id"]
    owners = generate(owner_api).json()["task_id"]
    other = browser(issue(owner_api).json()["token"])
    assert token.get(f"/api/status/{own_id}").json()["status"] == "queued"
    assert token.get(f"/api/status/{owners}").status_code == 404  # the owner's other work
    assert other.get(f"/api/status/{own_id}").status_code == 404  # another page's token
    assert stranger_api.get(f"/api/status/{own_id}").status_code == 404
    assert [job["task_id"] for job in token.get("/api/tasks").json()["results"]] == [own_id]
    assert owner_api.get(f"/api/status/{own_id}").status_code == 200  # its owner sees it


def test_the_same_idempotency_key_on_two_tokens_makes_two_jobs(owner_api, scoped):
    other = issue(owner_api).json()["token"]
    answers = [
        browser(text).post(
            "/api/generate", json.dumps(BODY), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
        )
        for text in (scoped["token"], other)
    ]
    assert answers[0].json()["task_id"] != answers[1].json()["task_id"]


def test_an_expired_scoped_token_is_refused(scoped):
    ApiToken.objects.filter(prefix=scoped["prefix"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(browser(scoped["token"]).get("/api/tasks"), 401, "token_expired")


def test_past_its_rate_429_past_its_quota_a_clear_403(owner_api):
    limited = browser(issue(owner_api, rate_per_minute=2).json()["token"])
    assert [limited.get("/api/tasks").status_code for _ in range(2)] == [200, 200]
    throttled = limited.get("/api/tasks")
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) >= 1
    quota = browser(issue(owner_api, job_quota=1).json()["token"])
    assert generate(quota).status_code == 200
    refused = generate(quota)
    assert_error(refused, 403, "token_quota_exceeded")
    assert "quota of 1 job" in refused.json()["error"]["message"]


def preflight(origin: str):
    return APIClient().options(
        "/api/generate",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )


def test_cors_allows_exactly_the_origins_of_live_scoped_tokens(owner_api, db):
    assert "Access-Control-Allow-Origin" not in preflight(SHOP)
    scoped = issue(owner_api).json()
    assert preflight(SHOP)["Access-Control-Allow-Origin"] == SHOP
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example")
    answer = browser(scoped["token"]).get("/api/tasks")
    assert answer["Access-Control-Allow-Origin"] == SHOP
    assert "Access-Control-Allow-Origin" not in APIClient().get("/admin/login/", HTTP_ORIGIN=SHOP)
    ApiToken.objects.filter(prefix=scoped["prefix"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "Access-Control-Allow-Origin" not in preflight(SHOP)


def test_create_scoped_token_command(owner):
    out, err = io.StringIO(), io.StringIO()
    args = ["--origin", SHOP, "--action", "status", "--action", "list", "--expires-in", "600"]
    call_command("create_scoped_token", owner.username, *args, stdout=out, stderr=err)
    text = out.getvalue().strip().splitlines()[-1]
    assert text.startswith("cvs_") and text not in err.getvalue() and text[:12] in err.getvalue()
    assert browser(text).get("/api/tasks").status_code == 200
    assert_error(generate(browser(text)), 403, "action_not_allowed")
    with pytest.raises(CommandError, match="origins"):
        call_command(
            "create_scoped_token", owner.username, "--origin", "ftp://x", "--action", "list", "--expires-in", "600"
        )
