"""One error shape everywhere under /api/: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .. import disk_space
from ..services import ServiceError, StorageFull

logger = logging.getLogger(__name__)

CODES = {
    400: "invalid_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def error_body(status_code: int, message: str, code: str | None = None, fields=None, **extra) -> dict:
    error = {"code": code or CODES.get(status_code, "error"), "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def api_exception_handler(exc, context):
    if not isinstance(exc, exceptions.APIException | ServiceError) and disk_space.is_disk_full_error(exc):
        # A write that failed for lack of space (an idempotency record, a counter): the
        # request is refused clearly, like a new job is (services.create.check_storage).
        logger.warning("%s refused: storage full (%s)", context.get("request") and context["request"].path, exc)
        exc = StorageFull(disk_space.STORAGE_FULL_MESSAGE, retry_after=60)
    if isinstance(exc, ServiceError):
        response = Response(error_body(exc.status, exc.message, exc.code, **exc.extra), status=exc.status)
        if exc.extra.get("retry_after"):
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    if isinstance(exc, DjangoValidationError):
        # The plain validators (job_specs.parse_generate_request) answer like the serializers.
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": _flatten(exc.detail)}
        # 400, or 413/415 for an image refused for its size or type (api/serializers.refusal)
        code = "validation_error" if exc.status_code == 400 else CODES[exc.status_code]
        response.data = error_body(exc.status_code, "The request has invalid fields.", code, fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(exc, "default_code", None)
        code = code if isinstance(code, str) else None
        response.data = error_body(response.status_code, str(detail), code)
    return response


def json_error_response(request, status_code: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, message), status=status_code)


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


__all__ = ["api_exception_handler", "error_body", "json_error_response", "is_api_request", "status"]
