"""The Idempotency-Key header on the views that take one (API generate and cancel, the
studio's generate): read it, and answer once per key (policy: videos/services/idempotency.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .. import selectors, services
from ..job_specs import JobSpec
from .permissions import scoped_token

MAX_IDEMPOTENCY_KEY = 255


def idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ValidationError({"Idempotency-Key": [f"Must be at most {MAX_IDEMPOTENCY_KEY} characters."]})
    return key


def stored_key(request, key: str) -> str:
    """The key as stored: a scoped token's keys are its own (another token of the same user
    reusing a key must not get this token's answer, nor this token another's)."""
    token = scoped_token(request)
    if not key or token is None:
        return key
    return f"scoped-{token.pk}:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


def idempotent_response(request, scope: str, fingerprint: str, produce: Callable[[], tuple[int, dict]]) -> Response:
    """Run `produce() -> (status, body)` once per Idempotency-Key; replay the first answer."""
    key = idempotency_key(request)
    if not key:
        status, body = produce()
        return Response(body, status=status)
    own_key = stored_key(request, key)
    stored = services.idempotency.stored_answer(request.user, own_key, scope, fingerprint)
    if stored is None:
        status, body = produce()
        stored = services.idempotency.remember_answer(request.user, own_key, scope, fingerprint, status, body)
    response = Response(stored.body, status=stored.status_code)
    response["Idempotency-Key"] = key
    return response


def generate_response(request, spec: JobSpec, *, source: str, body: dict | None = None) -> Response:
    """Create the job `spec` describes (once per key) and answer its status body. `body` is
    the request as fields (a form's, videos/api/form_requests.py), else request.data."""
    key = stored_key(request, idempotency_key(request))
    fields = request.data if body is None else body
    if isinstance(fields.get("image"), bytes):  # an uploaded file: its digest stands for it
        fields = {**fields, "image": f"sha256:{hashlib.sha256(fields['image']).hexdigest()}"}
    fingerprint = services.request_fingerprint(fields)

    def produce() -> tuple[int, dict]:
        job, _created = services.create_job(
            request.user,
            spec,
            idempotency_key=key,
            fingerprint=fingerprint,
            source=source,
            api_token=scoped_token(request),
        )
        return 200, selectors.job_status_body(job, request)

    return idempotent_response(request, services.idempotency.GENERATE_SCOPE, fingerprint, produce)
