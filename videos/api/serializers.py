"""The generate request as the API documents it. Validation is not here: it is
job_specs.parse_generate_request, the one validator the studio, admin, batch and reruns
call too; this serializer wraps it for DRF views and describes the fields for OpenAPI."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import empty

from ..generation.profiles import PROFILES
from ..job_specs import MAX_GUIDANCE, MAX_SEED, MIN_GUIDANCE, REQUEST_FIELDS, JobSpec, parse_generate_request
from ..validation import IMAGE_TOO_LARGE, IMAGE_TYPE, FieldKind

# Ranges and examples the schema shows (Swagger's "Try it out" body, generated clients): the
# widest any served profile allows; the model's own limits are in GET /api/models and the
# validator checks them.
SCHEMA_HINTS: dict[str, dict] = {
    "prompt": {"help_text": "What the video shows (English reads best)."},
    "duration": {"min_value": 1, "max_value": max(p.max_duration for p in PROFILES.values())},
    "resolution": {"help_text": 'The delivered size, "WIDTHxHEIGHT" (e.g. "720x480").'},
    "fps": {"min_value": 1, "max_value": max(max(p.delivered_fps) for p in PROFILES.values())},
    "seed": {"min_value": 0, "max_value": MAX_SEED},
    "num_inference_steps": {"min_value": 1, "max_value": max(p.max_steps for p in PROFILES.values())},
    "guidance_scale": {"min_value": MIN_GUIDANCE, "max_value": MAX_GUIDANCE},
}

# What Swagger's "Try it out" fills in: a request the service accepts as it is.
GENERATE_EXAMPLE = {"prompt": "A red fox running through fresh snow, cinematic light", "duration": 1}


def schema_field(kind: FieldKind, name: str = "") -> serializers.Field:
    """The DRF field that documents a job_specs.REQUEST_FIELDS check."""
    hints = SCHEMA_HINTS.get(name, {})
    if kind.kind == "text":
        field_class = serializers.SlugField if kind.slug else serializers.CharField
        nullable = {"allow_null": True} if kind.allow_null else {}
        text_hints = {key: value for key, value in hints.items() if key == "help_text"}
        return field_class(
            required=False, allow_blank=kind.allow_blank, max_length=kind.max_length, **nullable, **text_hints
        )
    if kind.kind == "object":
        return serializers.DictField(required=False, allow_empty=True)
    if kind.kind == "json":
        return serializers.JSONField(required=False)
    scalar = {
        "integer": serializers.IntegerField,
        "number": serializers.FloatField,
        "boolean": serializers.BooleanField,
    }
    return scalar[kind.kind](required=False, allow_null=True, **hints)


class ImageTooLarge(serializers.ValidationError):
    status_code = 413
    default_code = "payload_too_large"


class ImageType(serializers.ValidationError):
    status_code = 415
    default_code = "unsupported_media_type"


def refusal(exc: DjangoValidationError) -> serializers.ValidationError:
    """A request refused only for its image's size answers 413, only for its type 415 (the
    field errors are the same either way); any other refusal is a 400."""
    codes = {error.code for errors in exc.error_dict.values() for error in errors}
    refusal_class = {IMAGE_TOO_LARGE: ImageTooLarge, IMAGE_TYPE: ImageType}.get(codes.pop() if len(codes) == 1 else "")
    return (refusal_class or serializers.ValidationError)(exc.message_dict)


class _GenerateRequestBase(serializers.Serializer):
    def run_validation(self, data=empty) -> JobSpec:
        try:
            return parse_generate_request(None if data is empty else data)
        except DjangoValidationError as exc:
            raise refusal(exc) from None

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        # DRF's own is_valid re-raises a plain 400 ValidationError; this one raises the refusal
        # itself, so a 413 or 415 keeps its status.
        try:
            self._validated_data = self.run_validation(self.initial_data)
            self._errors = {}
        except serializers.ValidationError as exc:
            self._validated_data, self._errors = {}, exc.detail
            if raise_exception:
                raise
        return not self._errors


# The fields, for the schema only (docs/openapi.yaml), are made from job_specs.REQUEST_FIELDS,
# so a new request field is declared once; run_validation above does the checking.
GenerateRequestSerializer = type(
    "GenerateRequestSerializer",
    (_GenerateRequestBase,),
    {"__module__": __name__, **{name: schema_field(check.kind, name) for name, check in REQUEST_FIELDS.items()}},
)


# The same request as multipart/form-data (videos/api/form_requests.py): `image` is a file
# part; the other fields are text, read as their JSON values. Schema only, like the above.
GenerateFormRequestSerializer = type(
    "GenerateFormRequestSerializer",
    (_GenerateRequestBase,),
    {
        "__module__": __name__,
        **{name: schema_field(check.kind, name) for name, check in REQUEST_FIELDS.items()},
        "image": serializers.FileField(
            required=False, help_text="The input image (PNG, JPEG or WebP) of an image-to-video model."
        ),
    },
)
