"""Request bodies sent with `Transfer-Encoding: chunked` (no Content-Length).

Django reads a WSGI body only up to CONTENT_LENGTH, so a chunked body read as empty (a
generate request answered 400 "Give a prompt", and one over the size limit got that 400, not
413). gunicorn de-chunks the body and marks the stream as terminated (`wsgi.input_terminated`);
this wrapper reads it up to COGVIDEO_MAX_BODY_BYTES and hands Django an ordinary body with
its length. Above the limit it answers 413 itself (the API's error shape under /api/), as
Django's ApiGuardMiddleware does for a declared Content-Length.
"""

from __future__ import annotations

import io
import json

from django.conf import settings

READ_BLOCK = 64 * 1024
# Over the limit, read (and drop) at most this much more before answering 413, so a client
# that sends its whole body first still reads the answer instead of a connection reset.
DRAIN_BYTES = 1024 * 1024


class ChunkedBodyMiddleware:
    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if environ.get("PATH_INFO", "").rstrip("/") == "/api/generate":
                limit = settings.COGVIDEO_MAX_GENERATE_BODY_BYTES  # it may carry an image
            stream = environ["wsgi.input"]
            body = bytearray()
            while len(body) <= limit:
                block = stream.read(min(READ_BLOCK, limit + 1 - len(body)))
                if not block:
                    break
                body += block
            if len(body) > limit:
                self._drain(stream)
                return self._too_large(environ, start_response, limit)
            environ["wsgi.input"] = io.BytesIO(bytes(body))
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)

    @staticmethod
    def _drain(stream) -> None:
        left = DRAIN_BYTES
        while left > 0 and (block := stream.read(min(READ_BLOCK, left))):
            left -= len(block)

    @staticmethod
    def _too_large(environ, start_response, limit: int):
        message = f"The request body is larger than {limit} bytes."
        if environ.get("PATH_INFO", "").startswith("/api/"):
            from videos.api.errors import error_body

            body = json.dumps(error_body(413, message)).encode()
            content_type = "application/json"
        else:
            body, content_type = message.encode(), "text/plain; charset=utf-8"
        start_response(
            "413 Request Entity Too Large",
            [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Connection", "close")],
        )
        return [body]
