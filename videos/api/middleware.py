"""Keeps /api/ answers JSON: body-size limit (413), and JSON instead of Django's HTML pages
for unknown URLs and unexpected errors."""

from __future__ import annotations

import logging

from django.conf import settings

from .errors import CODES, is_api_request, json_error_response

logger = logging.getLogger(__name__)


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
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return json_error_response(
                request, 413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
            )
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
