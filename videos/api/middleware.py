"""Keeps /api/ answers JSON: body-size limit (413), and JSON instead of Django's HTML pages
for unknown URLs and unexpected errors."""

from __future__ import annotations

import io
import logging

from django.conf import settings

from .errors import CODES, is_api_request, json_error_response

logger = logging.getLogger(__name__)


GENERATE_PATH = "/api/generate"


def body_limit(request) -> int:
    """POST /api/generate may carry an image (a data URL): COGVIDEO_MAX_GENERATE_BODY_BYTES;
    every other request COGVIDEO_MAX_BODY_BYTES."""
    if request.path_info.rstrip("/") == GENERATE_PATH:
        return settings.COGVIDEO_MAX_GENERATE_BODY_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class ApiGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_request(request):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error_response(request, 400, "Invalid Content-Length header.")
        limit = body_limit(request)
        if length > limit:
            return json_error_response(request, 413, f"The request body is larger than {limit} bytes.")
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            # Django's HttpRequest.body refuses bodies above DATA_UPLOAD_MAX_MEMORY_SIZE; a
            # generate body may be larger (its image), so it is read here, within its own
            # limit, and handed to Django as already read.
            body = request.read(limit + 1)
            if len(body) > limit:
                return json_error_response(request, 413, f"The request body is larger than {limit} bytes.")
            request._body = body
            request._stream = io.BytesIO(body)
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json"):
            message = {404: "No such endpoint.", 405: "Method not allowed."}.get(
                response.status_code, CODES.get(response.status_code, "Request failed.").replace("_", " ").capitalize()
            )
            return json_error_response(request, response.status_code, message)
        return response

    def process_exception(self, request, exception):
        if not is_api_request(request):
            return None
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return json_error_response(request, 500, "Internal error; it has been logged.")
