"""Prompt templates: `{placeholder}` text filled from a job's `variables`."""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError

from .models import PromptTemplate
from .validation import reject_control_characters

MAX_VARIABLES = 32
MAX_VARIABLE_LENGTH = 500


def placeholders(text: str) -> list[str]:
    """Names used in the text. Only plain `{name}` fields are allowed: attribute or index
    access (`{x.__class__}`) would let a template reach into Python objects."""
    names: list[str] = []
    for _literal, field, spec, conversion in string.Formatter().parse(text):
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValidationError(f"Placeholder {{{field}}} must be a plain name like {{subject}}.")
        if field not in names:
            names.append(field)
    return names


def render(template: PromptTemplate, variables: dict) -> str:
    if not isinstance(variables, dict):
        raise ValidationError("variables must be a JSON object.")
    if len(variables) > MAX_VARIABLES:
        raise ValidationError(f"At most {MAX_VARIABLES} variables.")
    clean: dict[str, str] = {}
    for key, value in variables.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(f"Variable {key!r} must be a string or a number.")
        text = str(value)
        reject_control_characters(text)
        if len(text) > MAX_VARIABLE_LENGTH:
            raise ValidationError(f"Variable {key!r} is longer than {MAX_VARIABLE_LENGTH} characters.")
        clean[key] = text
    names = placeholders(template.text)
    missing = [name for name in names if name not in clean]
    if missing:
        raise ValidationError("Missing variables: " + ", ".join(missing) + ".")
    return template.text.format_map({name: clean[name] for name in names}).strip()
