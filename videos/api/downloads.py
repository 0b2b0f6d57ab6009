"""File downloads with HTTP Range support (206), so <video> players can seek.

Behind nginx set COGVIDEO_X_ACCEL_PREFIX: the permission check stays here and nginx sends
the bytes (see docs/DEPLOY.md).
"""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from .errors import json_error_response

RANGE_RE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")  # longer numbers: ignored, whole file sent
CHUNK = 256 * 1024


def _iter_range(handle, start: int, length: int):
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


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
    try:
        size = storage.size(field_file.name)
    except OSError:
        return json_error_response(request, 404, "The file is missing from storage.")
    prefix = settings.COGVIDEO_X_ACCEL_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + field_file.name
    else:
        wanted = parse_range(request.headers.get("Range", ""), size) if request.headers.get("Range") else None
        if wanted == "unsatisfiable":
            response = json_error_response(request, 416, "The requested range is outside the file.")
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle = storage.open(field_file.name, "rb")
        if wanted is None:
            response = FileResponse(handle, content_type=content_type)
            response["Content-Length"] = str(size)
        else:
            start, end = wanted
            response = StreamingHttpResponse(_iter_range(handle, start, end - start + 1), status=206)
            response["Content-Type"] = content_type
            response["Content-Length"] = str(end - start + 1)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'inline; filename="{os.path.basename(filename)}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response
