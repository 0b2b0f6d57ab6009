"""The owner deleting one video from the studio's history: the video's row, the job that
made it and their files (MP4, poster, preview, WebM, the image-to-video input)."""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage
from django.db import transaction

from ..models import Video, VideoJob
from .errors import VideoInUse
from .purge import _extra_files

logger = logging.getLogger(__name__)


def delete_video(owner, video_id) -> list[str]:
    """Delete `owner`'s video `video_id` with its job, then its files; the names removed.

    Owner only (staff too delete only their own here): another user's video is
    Video.DoesNotExist, like an id that does not exist. A video that is still the answer of
    another job (same-request reuse: "Same seed again", or an API client asking again) stays,
    files and all, and VideoInUse says so: deleting it would leave that job "completed" with
    no video. Rows go in one transaction with the video row locked, files after the commit
    (as purge does): a failure in between leaves an unreferenced file for the next purge,
    never a row pointing at a missing file."""
    with transaction.atomic():
        video = Video.objects.select_for_update().select_related("job").get(pk=video_id, owner=owner)
        job = video.job
        reused_by = VideoJob.objects.filter(reused_from=video).exclude(pk=job.pk).count()
        if reused_by:
            raise VideoInUse(
                f"This video is also the answer of {reused_by} other job{'s' if reused_by != 1 else ''} "
                "(the same request asked again), so it stays.",
                reused_by=reused_by,
            )
        names = [name for name in (video.file.name, video.poster.name, *_extra_files(job.params)) if name]
        if job.source_image:
            names.append(job.source_image.name)
        Video.objects.filter(pk=video.pk).delete()
        VideoJob.objects.filter(pk=job.pk).delete()
    for name in names:
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
        except OSError:
            logger.warning("could not delete %s of video %s; the next purge removes it", name, video_id)
    return names
