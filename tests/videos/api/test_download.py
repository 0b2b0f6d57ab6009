"""GET /api/download/{video_id}: the MP4, the poster, HTTP Range, access."""

from __future__ import annotations

import hashlib
import io

import httpx
import imageio.v3 as iio
import pytest
from PIL import Image

from tests.videos.factories import make_job
from videos import media_files, worker
from videos.models import Video


@pytest.fixture
def video(owner):
    job = make_job(owner, resolution="96x64")
    worker.run_next_job()
    return Video.objects.get(job=job)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_download_is_a_playable_h264_mp4(owner_api, video):
    response = owner_api.get(f"/api/download/{video.id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4" and response["Accept-Ranges"] == "bytes"
    data = body(response)
    assert len(data) == video.size_bytes == int(response["Content-Length"])
    frames = iio.imread(io.BytesIO(data), extension=".mp4")
    assert frames.shape == (9, 64, 96, 3)


def test_range_requests_get_206(owner_api, video):
    response = owner_api.get(f"/api/download/{video.id}", HTTP_RANGE="bytes=10-109")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-109/{video.size_bytes}"
    full = body(owner_api.get(f"/api/download/{video.id}"))
    assert body(response) == full[10:110]
    tail = owner_api.get(f"/api/download/{video.id}", HTTP_RANGE="bytes=-20")
    assert tail.status_code == 206 and body(tail) == full[-20:]
    beyond = owner_api.get(f"/api/download/{video.id}", HTTP_RANGE=f"bytes={video.size_bytes + 5}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{video.size_bytes}"


def test_thumbnail_variant_is_a_jpeg_of_the_right_size(owner_api, video):
    response = owner_api.get(f"/api/download/{video.id}?variant=thumbnail")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(body(response))).size == (96, 64)
    assert owner_api.get(f"/api/download/{video.id}?variant=../../x").status_code == 400


def test_stranger_gets_404_staff_gets_the_file(video, stranger_api, staff_api):
    assert stranger_api.get(f"/api/download/{video.id}").status_code == 404
    assert staff_api.get(f"/api/download/{video.id}").status_code == 200


def test_task_id_is_not_a_video_id(owner_api, video):
    assert owner_api.get(f"/api/download/{video.job_id}").status_code == 404


def test_behind_nginx_the_bytes_are_left_to_x_accel_redirect(owner_api, stranger_api, video, settings):
    settings.COGVIDEO_X_ACCEL_PREFIX = "/protected-media/"
    response = owner_api.get(f"/api/download/{video.id}")
    assert response.status_code == 200 and body(response) == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{video.file.name}"
    assert response["Content-Type"] == "video/mp4"
    assert stranger_api.get(f"/api/download/{video.id}").status_code == 404  # the check stays here


def test_absurd_range_numbers_get_the_whole_file(owner_api, video):
    response = owner_api.get(f"/api/download/{video.id}", HTTP_RANGE="bytes=" + "9" * 5000 + "-")
    assert response.status_code == 200 and len(body(response)) == video.size_bytes


@pytest.mark.object_store
def test_from_an_object_store_redirect_mode_answers_a_presigned_url(owner_api, stranger_api, video, settings):
    """COGVIDEO_DOWNLOAD_MODE=redirect: the check stays here, the store sends the bytes (Range
    included). Streaming, the default, is what the tests above run in the scale-out pass."""
    assert media_files.is_object_store()
    settings.COGVIDEO_DOWNLOAD_MODE = "redirect"
    response = owner_api.get(f"/api/download/{video.id}")
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    full = httpx.get(location, timeout=30)
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    assert hashlib.sha256(full.content).hexdigest() == video.sha256
    part = httpx.get(location, headers={"Range": "bytes=10-109"}, timeout=30)
    assert part.status_code == 206 and part.content == full.content[10:110]
    assert stranger_api.get(f"/api/download/{video.id}").status_code == 404
