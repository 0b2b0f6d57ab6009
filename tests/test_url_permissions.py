"""Every URL pattern the project serves, opened as anonymous, as an editor (the Editors group,
not staff) and as staff. A page's permission must be checked where the page is served, not
only where links to it are drawn: the walk types each URL, as a user would type it into the
address bar, with ids of objects that belong to staff.

New URL patterns join the walk by themselves (from the resolver); a pattern this module
cannot fill in fails the test, so nothing is left out unnoticed."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from tests.videos.admin.conftest import _editor
from tests.videos.factories import make_job
from videos.models import PromptTemplate, Video, VideoJob

# What anyone may open without signing in.
PUBLIC = {
    "api-health",
    "api-health-ready",
    "api-schema",
    "api-docs",
    "login",
    "studio-login",
    "integrations-example",
    "favicon",
}
# Readiness answers 503 while no worker runs (none does here): its answer, not a failure.
NOT_READY = ("/api/health/ready/", 503)
# Answers that mean "not for you": sent to a login page, refused, hidden, or not a GET.
REFUSED = {302, 401, 403, 404, 405}
# Admin pages only staff may open, whatever an editor's group grants (belt and braces beside
# the model admins' own permission methods, which the walk also checks).
STAFF_ONLY_PREFIXES = (
    "/admin/monitoring/",
    "/admin/auth/",
    "/admin/django_q/",
    "/admin/cms_integration/",
    "/admin/videos/workerheartbeat/",
    "/admin/videos/apitoken/",
)


def url_patterns(patterns=None, prefix: str = ""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def concrete_paths(template: str, pattern: URLPattern, objects: dict) -> list[str]:
    """`template` with every parameter filled in with an id of a staff-owned object."""
    model_admin = getattr(pattern.callback, "model_admin", None)
    path = "/" + template
    if "(?P<app_label>" in path:
        labels = re.search(r"\(\?P<app_label>([^)]*)\)", path).group(1).split("|")
        return [re.sub(r"\(\?P<app_label>[^)]*\)", label, path) for label in labels]
    fills = {
        "task_id": str(objects["job"].pk),
        "job_id": str(objects["job"].pk),
        "video_id": str(objects["video"].pk),
        "id": str(objects["staff"].pk),
        "content_type_id": str(ContentType.objects.get_for_model(VideoJob).pk),
        "url": "no-such-page/",
    }
    if model_admin is not None:
        instance = objects["by_model"].get(model_admin.model)
        fills["object_id"] = str(instance.pk) if instance is not None else "1"
    elif "content_type_id" in path:
        fills["object_id"] = str(objects["job"].pk)

    def fill(match: re.Match) -> str:
        name = match.group("name")
        if name not in fills:
            raise AssertionError(f"the URL walk cannot fill in {name!r} of {template}: teach concrete_paths")
        return fills[name]

    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", fill, path)
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", fill, path)
    path = path.replace("^", "").replace("$", "").replace("/?", "/")
    assert not re.search(r"[()<>\\]", path), f"unfilled URL {path} from {template}"
    return [path]


@pytest.fixture
def objects(db):
    staff = get_user_model().objects.create_superuser("root", password="root-pass-9321")
    job = make_job(staff)

    video = Video.objects.create(
        job=job, owner=staff, file="videos/x.mp4", width=64, height=64, frames=9, fps=8, size_bytes=1, sha256="0" * 64
    )
    template = PromptTemplate.objects.create(name="Staff template", slug="staff-template", text="a {subject}")
    by_model = {VideoJob: job, Video: video, PromptTemplate: template, get_user_model(): staff}
    return {"staff": staff, "job": job, "video": video, "by_model": by_model}


def outside_client() -> Client:
    """A browser on another machine (loopback is trusted by /metrics when it has no token)."""
    return Client(REMOTE_ADDR="203.0.113.9")


def walk(client: Client, objects: dict) -> list[tuple[str, str | None, object, int]]:
    answers = []
    for template, pattern in url_patterns():
        if template.startswith(("static/", "media/")):
            continue
        for path in concrete_paths(template, pattern, objects):
            answers.append((path, pattern.name, pattern, client.get(path).status_code))
    return answers


def test_anonymous_reaches_only_public_pages(objects):
    answers = walk(outside_client(), objects)
    assert len(answers) > 60
    opened = [(path, status) for path, name, _, status in answers if status not in REFUSED and name not in PUBLIC]
    assert not opened
    assert {name for _, name, _, status in answers if status == 200} >= {"api-health", "login", "studio-login"}


def test_an_editor_opens_nothing_staff_only_and_no_staff_object(objects):
    editor = _editor("edna")
    client = outside_client()
    client.force_login(editor)
    request = RequestFactory().get("/admin/")
    request.user = editor
    answers = walk(client, objects)
    assert not [(path, status) for path, _, _, status in answers if status >= 500 and (path, status) != NOT_READY]
    leaks = []
    for path, _, pattern, status in answers:
        if status in REFUSED:
            continue
        model_admin = getattr(pattern.callback, "model_admin", None)
        if path.startswith(STAFF_ONLY_PREFIXES):
            leaks.append((path, status, "staff-only page"))
        elif model_admin is not None and not model_admin.has_view_or_change_permission(request):
            leaks.append((path, status, "its admin grants editors no view permission"))
        elif str(objects["job"].pk) in path or str(objects["video"].pk) in path:
            leaks.append((path, status, "a staff user's job"))
    assert not leaks
    # The editor's own part of the admin and the studio do open.
    opened = {name for _, name, _, status in answers if status == 200}
    assert {"index", "videos_videojob_changelist", "videos_prompttemplate_changelist", "studio"} <= opened


def test_staff_open_every_page_without_a_server_error(objects):
    client = outside_client()
    client.force_login(objects["staff"])
    answers = walk(client, objects)
    assert not [(path, status) for path, _, _, status in answers if status >= 500 and (path, status) != NOT_READY]
    opened = {path for path, _, _, status in answers if status == 200}
    for prefix in STAFF_ONLY_PREFIXES:
        assert any(path.startswith(prefix) for path in opened), prefix
    assert "/admin/monitoring/operationsdashboard/" in opened
