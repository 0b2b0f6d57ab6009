"""Fetch helpers with the permission check built in: a user reaches only their own jobs and
videos (staff reach all); anything else is 404, exactly like an id that does not exist.

`token`: the request's API token (request.auth). A scoped browser token reaches only the
jobs it created and their videos, whoever its user is (staff included): a page's token
never lists or fetches its owner's other work."""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.http import Http404

from .models import Video, VideoJob


def _parse_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such id.") from None


def _scoped(token) -> bool:
    return token is not None and getattr(token, "is_scoped", False)


def jobs_visible_to(user, token=None):
    jobs = VideoJob.objects.all()
    if _scoped(token):
        return jobs.filter(owner=user, api_token=token)
    return jobs if user.is_staff else jobs.filter(owner=user)


def videos_visible_to(user, token=None):
    videos = Video.objects.all()
    if _scoped(token):
        # Its jobs' videos, and the earlier ones its jobs were answered with (same-request reuse).
        return videos.filter(Q(job__api_token=token) | Q(reused_by__api_token=token), owner=user).distinct()
    return videos if user.is_staff else videos.filter(owner=user)


def access_job(user, task_id, token=None) -> VideoJob:
    job = jobs_visible_to(user, token).select_related("video", "template").filter(pk=_parse_id(task_id)).first()
    if job is None:
        raise Http404("No such task.")
    return job


def access_video(user, video_id, token=None) -> Video:
    video = videos_visible_to(user, token).filter(pk=_parse_id(video_id)).first()
    if video is None:
        raise Http404("No such video.")
    return video
