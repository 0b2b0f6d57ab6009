"""GET /api/templates: the active prompt templates, with what a client needs to fill them in
(placeholder names, sample values, defaults). The studio page shows the same list."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import PromptTemplate
from ..prompt_templates import placeholders


class PromptTemplateSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    text = serializers.CharField()
    placeholders = serializers.ListField(child=serializers.CharField())
    sample_variables = serializers.DictField()
    default_negative_prompt = serializers.CharField()
    default_params = serializers.DictField()


class TemplateListSerializer(serializers.Serializer):
    results = PromptTemplateSerializer(many=True)


def template_summary(template: PromptTemplate) -> dict:
    return {
        "slug": template.slug,
        "name": template.name,
        "text": template.text,
        # Saved templates were checked by the admin form; an older bad one lists no names
        # instead of breaking the whole list.
        "placeholders": _safe_placeholders(template.text),
        "sample_variables": template.sample_variables or {},
        "default_negative_prompt": template.default_negative_prompt,
        "default_params": template.default_params or {},
    }


def _safe_placeholders(text: str) -> list[str]:
    from django.core.exceptions import ValidationError

    try:
        return placeholders(text)
    except ValidationError:
        return []


def active_templates() -> list[dict]:
    return [template_summary(template) for template in PromptTemplate.objects.filter(is_active=True)]


class TemplateListView(APIView):
    @extend_schema(
        operation_id="templates",
        responses={200: TemplateListSerializer},
        description="Active prompt templates. Use one with `template` + `variables` in POST /api/generate.",
    )
    def get(self, request):
        return Response({"results": active_templates()})
