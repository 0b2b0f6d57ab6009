"""Request validation and response shapes. Business rules live in job_specs / services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from ..job_specs import MAX_PROMPT_CHARS, JobSpec, resolve_job_spec
from ..validation import check_callback_url, check_metadata, reject_control_characters
from .fields import StrictBooleanField, StrictCharField, StrictFloatField, StrictIntegerField


def _django_to_drf(validator):
    def run(value):
        try:
            return validator(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    return run


class GenerateRequestSerializer(serializers.Serializer):
    prompt = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=MAX_PROMPT_CHARS,
        validators=[_django_to_drf(reject_control_characters)],
    )
    negative_prompt = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=MAX_PROMPT_CHARS,
        validators=[_django_to_drf(reject_control_characters)],
    )
    duration = StrictIntegerField(required=False, allow_null=True)
    resolution = StrictCharField(required=False, allow_null=True, max_length=16)
    enhance_quality = StrictBooleanField(required=False, allow_null=True)
    seed = StrictIntegerField(required=False, allow_null=True)
    num_inference_steps = StrictIntegerField(required=False, allow_null=True)
    guidance_scale = StrictFloatField(required=False, allow_null=True)
    template = serializers.SlugField(required=False, allow_null=True, allow_blank=True, max_length=64)
    variables = serializers.DictField(required=False, allow_empty=True)
    callback_url = StrictCharField(
        required=False, allow_blank=True, max_length=2000, validators=[_django_to_drf(check_callback_url)]
    )
    metadata = serializers.JSONField(required=False, validators=[_django_to_drf(check_metadata)])

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs) -> JobSpec:
        try:
            return resolve_job_spec(attrs)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
