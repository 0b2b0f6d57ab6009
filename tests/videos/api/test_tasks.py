"""GET /api/tasks: newest first, cursor pagination, filters, only the caller's jobs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

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


def test_bad_cursor_is_404_json(owner_api, owner):
    response = owner_api.get("/api/tasks?cursor=garbage")
    assert response.status_code == 404 and response.json()["error"]["code"]


def test_anonymous_is_401(anon_api, db):
    assert anon_api.get("/api/tasks").status_code == 401


def test_metadata_keys_that_look_like_lookups_are_just_keys(owner_api, owner):
    job = make_job(owner, metadata={"isnull": "abc", "contains": "x"})
    for query in ("?metadata.isnull=abc", "?metadata.contains=x"):
        response = owner_api.get("/api/tasks" + query)
        assert response.status_code == 200, response.content
        assert [j["task_id"] for j in response.json()["results"]] == [str(job.id)]
