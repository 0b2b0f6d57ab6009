"""Fetch helpers with the permission check built in: a user reaches only their own jobs and
videos (staff reach all); anything else is 404, exactly like an id that does not exist."""

from __future__ import annotations

import uuid

from django.http import Http404

from .models import Video, VideoJob


def _parse_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise Http404("No such id.") from None


def jobs_visible_to(user):
    jobs = VideoJob.objects.all()
    return jobs if user.is_staff else jobs.filter(owner=user)


def videos_visible_to(user):
    videos = Video.objects.all()
    return videos if user.is_staff else videos.filter(owner=user)


def access_job(user, task_id) -> VideoJob:
    job = jobs_visible_to(user).select_related("video", "template").filter(pk=_parse_id(task_id)).first()
    if job is None:
        raise Http404("No such task.")
    return job


def access_video(user, video_id) -> Video:
    video = videos_visible_to(user).filter(pk=_parse_id(video_id)).first()
    if video is None:
        raise Http404("No such video.")
    return video
