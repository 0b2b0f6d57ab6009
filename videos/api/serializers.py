"""The generate request as the API documents it. Validation is not here: it is
job_specs.parse_generate_request, the one validator the studio, admin, batch and reruns
call too; this serializer wraps it for DRF views and describes the fields for OpenAPI."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import empty

from ..job_specs import REQUEST_FIELDS, JobSpec, parse_generate_request
from ..validation import FieldKind


def schema_field(kind: FieldKind) -> serializers.Field:
    """The DRF field that documents a job_specs.REQUEST_FIELDS check."""
    if kind.kind == "text":
        field_class = serializers.SlugField if kind.slug else serializers.CharField
        nullable = {"allow_null": True} if kind.allow_null else {}
        return field_class(required=False, allow_blank=kind.allow_blank, max_length=kind.max_length, **nullable)
    if kind.kind == "object":
        return serializers.DictField(required=False, allow_empty=True)
    if kind.kind == "json":
        return serializers.JSONField(required=False)
    scalar = {
        "integer": serializers.IntegerField,
        "number": serializers.FloatField,
        "boolean": serializers.BooleanField,
    }
    return scalar[kind.kind](required=False, allow_null=True)


class _GenerateRequestBase(serializers.Serializer):
    def run_validation(self, data=empty) -> JobSpec:
        try:
            return parse_generate_request(None if data is empty else data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None


# The fields, for the schema only (docs/openapi.yaml), are made from job_specs.REQUEST_FIELDS,
# so a new request field is declared once; run_validation above does the checking.
GenerateRequestSerializer = type(
    "GenerateRequestSerializer",
    (_GenerateRequestBase,),
    {"__module__": __name__, **{name: schema_field(check.kind) for name, check in REQUEST_FIELDS.items()}},
)
