"""The generate request as the API documents it. Validation is not here: it is
job_specs.parse_generate_request, the one validator the studio, admin, batch and reruns
call too; this serializer wraps it for DRF views and describes the fields for OpenAPI."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import empty

from ..job_specs import MAX_PROMPT_CHARS, JobSpec, parse_generate_request


class GenerateRequestSerializer(serializers.Serializer):
    # For the schema only (docs/openapi.yaml): the checks, strict JSON types included, are
    # job_specs.REQUEST_FIELDS, run by run_validation below.
    prompt = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PROMPT_CHARS)
    negative_prompt = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PROMPT_CHARS)
    duration = serializers.IntegerField(required=False, allow_null=True)
    resolution = serializers.CharField(required=False, allow_null=True, max_length=16)
    enhance_quality = serializers.BooleanField(required=False, allow_null=True)
    seed = serializers.IntegerField(required=False, allow_null=True)
    num_inference_steps = serializers.IntegerField(required=False, allow_null=True)
    guidance_scale = serializers.FloatField(required=False, allow_null=True)
    template = serializers.SlugField(required=False, allow_null=True, allow_blank=True, max_length=64)
    variables = serializers.DictField(required=False, allow_empty=True)
    callback_url = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    metadata = serializers.JSONField(required=False)

    def run_validation(self, data=empty) -> JobSpec:
        try:
            return parse_generate_request(None if data is empty else data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
