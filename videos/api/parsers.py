"""JSON parsing that turns every malformed body into a 400, including nesting bombs
(`[[[[...]]]]` deep enough to exhaust Python's recursion limit)."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

MAX_NESTING = 32


def _too_deep(text: str) -> bool:
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return False  # cannot nest deeper (and a long data URL needs no walk, char by char)
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                return True
        elif char in "]}":
            depth -= 1
    return False


class BodyTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        # A view may take larger bodies (generate: an image as a data URL).
        view = (parser_context or {}).get("view")
        limit = getattr(view, "max_body_bytes", None) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream else b""
        if len(raw) > limit:
            raise ParseError("The request body is too large.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("The body is not valid UTF-8.") from None
        if _too_deep(text):
            raise ParseError(f"JSON nested deeper than {MAX_NESTING} levels.")
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error: {exc}") from None
        # Only the image may take a body past COGVIDEO_MAX_BODY_BYTES: the rest keeps that limit.
        rest = len(raw) - (len(data["image"]) if isinstance(data, dict) and isinstance(data.get("image"), str) else 0)
        if rest > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise BodyTooLarge(f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
        return data


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
