"""File downloads with HTTP Range support (206), so <video> players can seek.

Behind nginx set COGVIDEO_X_ACCEL_PREFIX: the permission check stays here and nginx sends
the bytes (see docs/DEPLOY.md). From an object store the bytes are streamed with the Range
passed through to the store, or with COGVIDEO_DOWNLOAD_MODE=redirect the answer is a
short-lived presigned URL (videos/media_files.py, videos/object_storage.py).
"""

from __future__ import annotations

import logging
import os
import re

from django.conf import settings
from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from .. import media_files
from .errors import json_error_response

logger = logging.getLogger(__name__)

RANGE_RE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")  # longer numbers: ignored, whole file sent


def parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """(start, end inclusive), None for 'send everything', or 'unsatisfiable'."""
    match = RANGE_RE.match(header.strip())
    if not match:
        return None  # malformed or multi-range: RFC 9110 lets us ignore it
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        suffix = int(last)
        if suffix == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


def serve_file(request, field_file, content_type: str, filename: str):
    if not field_file:
        return json_error_response(request, 404, "This video has no such file.")
    storage = field_file.storage
    object_store = media_files.is_object_store(storage)
    try:
        size = storage.size(field_file.name)
    except OSError:
        return json_error_response(request, 404, "The file is missing from storage.")
    except Exception:  # noqa: BLE001 - an object store that does not answer: say so, not a 500
        if not object_store:
            raise
        logger.warning("download of %s: the object store did not answer", field_file.name, exc_info=True)
        return json_error_response(request, 503, "The video store is not reachable; try again shortly.")
    prefix = settings.COGVIDEO_X_ACCEL_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + field_file.name
    elif object_store and settings.COGVIDEO_DOWNLOAD_MODE == "redirect":
        # The permission check was made here; the store sends the bytes (Range included) to
        # whoever holds this URL until it expires (COGVIDEO_S3_URL_SECONDS).
        name = os.path.basename(filename)
        response = HttpResponse(status=302)
        response["Location"] = storage.download_url(field_file.name, filename=name, content_type=content_type)
        response["Cache-Control"] = "private, no-store"
        return response
    else:
        wanted = parse_range(request.headers.get("Range", ""), size) if request.headers.get("Range") else None
        if wanted == "unsatisfiable":
            response = json_error_response(request, 416, "The requested range is outside the file.")
            response["Content-Range"] = f"bytes */{size}"
            return response
        if wanted is None:
            if object_store:
                response = StreamingHttpResponse(media_files.read_all(storage, field_file.name))
                response["Content-Type"] = content_type
            else:
                response = FileResponse(storage.open(field_file.name, "rb"), content_type=content_type)
            response["Content-Length"] = str(size)
        else:
            start, end = wanted
            response = StreamingHttpResponse(media_files.read_range(storage, field_file.name, start, end), status=206)
            response["Content-Type"] = content_type
            response["Content-Length"] = str(end - start + 1)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'inline; filename="{os.path.basename(filename)}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response
