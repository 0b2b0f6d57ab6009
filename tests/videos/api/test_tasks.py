"""GET /api/tasks: newest first, cursor pagination, filters, only the caller's jobs."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.videos.factories import make_job
from videos.models import JobStatus, VideoJob


def test_lists_only_own_jobs_newest_first_with_cursor_pages(owner_api, owner, stranger):
    mine = [make_job(owner, prompt=f"clip {i}") for i in range(5)]
    make_job(stranger)
    page = owner_api.get("/api/tasks?limit=2").json()
    assert [j["task_id"] for j in page["results"]] == [str(mine[4].id), str(mine[3].id)]
    seen = [j["task_id"] for j in page["results"]]
    while page["next_cursor"]:
        page = owner_api.get(f"/api/tasks?limit=2&cursor={page['next_cursor']}").json()
        seen += [j["task_id"] for j in page["results"]]
    assert seen == [str(job.id) for job in reversed(mine)]


def test_staff_list_is_also_only_their_own(staff_api, owner):
    make_job(owner)
    assert staff_api.get("/api/tasks").json()["results"] == []


def test_status_created_after_and_metadata_filters(owner_api, owner):
    old = make_job(owner, metadata={"post_id": 17, "site": "blog"})
    VideoJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    new = make_job(owner, metadata={"post_id": 18, "site": "blog"})
    canceled = make_job(owner, metadata={"post_id": "17"})
    VideoJob.objects.filter(pk=canceled.pk).update(status=JobStatus.CANCELED)

    def ids(query: str) -> set[str]:
        response = owner_api.get("/api/tasks" + query)
        assert response.status_code == 200, response.content
        return {j["task_id"] for j in response.json()["results"]}

    assert ids("?status=canceled") == {str(canceled.id)}
    assert ids("?metadata.post_id=17") == {str(old.id), str(canceled.id)}
    assert ids("?metadata.site=blog&metadata.post_id=18") == {str(new.id)}
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"?created_after={since}") == {str(new.id), str(canceled.id)}


def test_bad_filters_are_400(owner_api, owner):
    for query, field in [
        ("?status=done", "status"),
        ("?created_after=yesterday", "created_after"),
        ("?limit=0", "limit"),
        ("?limit=1000", "limit"),
        ("?limit=x", "limit"),
        ("?metadata.a-b=1", "metadata.a-b"),
        ("?limit=\u00b2", "limit"),
    ]:
        response = owner_api.get("/api/tasks" + query)
        assert response.status_code == 400, query
        assert field in response.json()["error"]["fields"], query


def cursor(raw: bytes | str) -> str:
    return base64.b64encode(raw.encode() if isinstance(raw, str) else raw).decode("ascii")


def assert_bad_cursor(response) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "cursor" in error["fields"], error


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "%FF%FE",
        "%C3%A9t%C3%A9",  # not ASCII
        cursor("p=notadate"),
        cursor("p=\x00"),
        cursor("p=2026-13-01 00:00:00+00:00"),  # month 13
        cursor("p=0001-01-01 00:00:00+05:00"),  # before year 1 in UTC
        cursor("p=9999-12-31 23:59:59-14:00"),  # after year 9999 in UTC
        cursor("o=-1&p=2026-01-01 00:00:00+00:00"),
        cursor("o=x"),
        cursor("r=yes"),
        cursor(b"\xff\x00p=1"),
    ],
)
def test_malformed_cursors_are_400_with_the_error_shape(owner_api, owner, value):
    make_job(owner)
    assert_bad_cursor(owner_api.get("/api/tasks?cursor=" + value))


def test_a_cursor_with_a_naive_time_still_pages(owner_api, owner):
    job = make_job(owner)
    later = (job.created_at + timedelta(seconds=1)).replace(tzinfo=None)
    response = owner_api.get("/api/tasks?cursor=" + quote(cursor(f"p={later.isoformat()}")))
    assert response.status_code == 200 and [j["task_id"] for j in response.json()["results"]] == [str(job.id)]


_tokens = st.dictionaries(
    st.sampled_from(["p", "o", "r", "x"]), st.text(max_size=40) | st.datetimes().map(str), max_size=3
)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(max_size=60) | _tokens.map(urlencode) | st.text(max_size=40))
def test_fuzzed_cursors_are_a_page_or_a_400(owner_api, owner, raw):
    value = cursor(raw) if not isinstance(raw, str) or "=" in raw else raw
    response = owner_api.get("/api/tasks", {"cursor": value})
    if response.status_code != 200:
        assert_bad_cursor(response)


def test_anonymous_is_401(anon_api, db):
    assert anon_api.get("/api/tasks").status_code == 401


def test_metadata_keys_that_look_like_lookups_are_just_keys(owner_api, owner):
    job = make_job(owner, metadata={"isnull": "abc", "contains": "x"})
    for query in ("?metadata.isnull=abc", "?metadata.contains=x"):
        response = owner_api.get("/api/tasks" + query)
        assert response.status_code == 200, response.content
        assert [j["task_id"] for j in response.json()["results"]] == [str(job.id)]
