"""POST /api/generate as multipart/form-data: the JSON fields as form fields and the input
image as an `image` file part, which is how browsers (the studio), curl -F and PHP's
CURLFile send a picture without base64. The form is turned into the same dict a JSON body
gives, so job_specs.parse_generate_request is still the one validator."""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework.exceptions import ValidationError

from ..job_specs import REQUEST_FIELDS

# Form fields are text; these kinds are read as JSON so `duration=1`, `enhance_quality=true`
# and `metadata={"post_id": 7}` mean what they mean in a JSON body.
JSON_KINDS = {"integer", "number", "boolean", "object", "json"}


def is_form(request) -> bool:
    return request.content_type.split(";")[0].strip().lower() == "multipart/form-data"


def _form_value(name: str, text: str):
    check = REQUEST_FIELDS.get(name)
    if check is None or check.kind.kind not in JSON_KINDS:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text  # the field's own check says what it wanted


def form_request_data(request) -> dict:
    """The form as a generate request: each field once, the `image` file part as its bytes."""
    data: dict = {}
    errors: dict[str, list[str]] = {}
    for name in request.POST:
        values = request.POST.getlist(name)
        if len(values) > 1:
            errors[name] = ["Give this field once."]
        data[name] = _form_value(name, values[-1])
    for name in request.FILES:
        uploads = request.FILES.getlist(name)
        if name != "image":
            errors[name] = ["Only the image field takes a file."]
        elif len(uploads) > 1 or "image" in data:
            errors[name] = ["Give one image."]
        else:
            limit = settings.COGVIDEO_MAX_IMAGE_BYTES
            content = uploads[0].read(limit + 1)  # what is over the limit is refused unread
            data["image"] = content
    if errors:
        raise ValidationError(errors)
    return data


def request_body(request) -> dict:
    """The generate request's fields, from a JSON body or a form."""
    return form_request_data(request) if is_form(request) else request.data


def refuse_large_body(request):
    """A 413 for a generate body over COGVIDEO_MAX_GENERATE_BODY_BYTES, before it is read, for
    a door outside /api/ (the studio's; videos/api/middleware.py checks the API's)."""
    from .errors import json_error_response

    limit = settings.COGVIDEO_MAX_GENERATE_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return json_error_response(request, 400, "Invalid Content-Length header.")
    if length > limit:
        return json_error_response(request, 413, f"The request body is larger than {limit} bytes.")
    return None
