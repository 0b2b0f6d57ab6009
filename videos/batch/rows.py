"""From file rows to validated job requests, each with a stable idempotency key."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from ..canonical_json import canonical_json, sha256_hex
from ..job_specs import JobSpec, parse_generate_request
from ..services import request_fingerprint
from .readers import BatchRow

QUALITY_WORDS = {"quality": True, "draft": False}


@dataclass
class PlannedRow:
    line: int
    request: dict  # the request as the API would receive it (row values over defaults)
    spec: JobSpec | None = None
    error: str = ""
    idempotency_key: str = ""
    fingerprint: str = ""

    @property
    def valid(self) -> bool:
        return self.spec is not None and not self.error

    @property
    def prompt(self) -> str:
        if self.spec is not None:
            return self.spec.prompt
        prompt = self.request.get("prompt")
        return prompt if isinstance(prompt, str) else ""


@dataclass
class BatchDefaults:
    """Command-line options that apply to every row that does not set the field itself."""

    template: str | None = None
    duration: int | None = None
    resolution: str | None = None
    quality: str | None = None  # "quality" or "draft"
    seed: int | None = None
    steps: int | None = None
    extra: dict = field(default_factory=dict)

    def as_request(self) -> dict:
        request = {
            "template": self.template,
            "duration": self.duration,
            "resolution": self.resolution,
            "seed": self.seed,
            "num_inference_steps": self.steps,
        }
        if self.quality is not None:
            request["enhance_quality"] = QUALITY_WORDS[self.quality]
        return {name: value for name, value in {**request, **self.extra}.items() if value is not None}


def build_request(row: BatchRow, defaults: BatchDefaults) -> tuple[dict, str]:
    """Row values over the defaults. `quality: quality|draft` becomes enhance_quality."""
    fields = dict(row.fields)
    if "quality" in fields:
        word = fields.pop("quality")
        if isinstance(word, str) and word.strip().lower() in QUALITY_WORDS:
            fields["enhance_quality"] = QUALITY_WORDS[word.strip().lower()]
        else:
            return {**defaults.as_request(), **fields}, "quality: Must be 'quality' or 'draft'."
    return {**defaults.as_request(), **fields}, ""


def format_errors(detail, request: dict | None = None) -> str:
    """The validator's {"field": ["message", ...]} as one line, with the value given when it is short:
    "duration 'abc': Must be a whole number ...; seed: ..."."""
    if isinstance(detail, dict):
        parts = []
        for name, messages in detail.items():
            text = format_errors(messages)
            value = (request or {}).get(name)
            shown = f" {value!r}" if isinstance(value, str | int | float) and len(str(value)) <= 40 else ""
            parts.append(text if name == "non_field_errors" else f"{name}{shown}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(format_errors(item) for item in detail)
    return str(detail)


def plan_rows(rows: list[BatchRow], defaults: BatchDefaults, *, run_label: str = "") -> list[PlannedRow]:
    """Validate every row with the API's validator and give each one its key.

    The key is a digest of the row's request (its own values and the defaults) and of how
    many identical requests came before it in the file: re-running the file, or resuming an
    interrupted run, finds the same keys and creates nothing twice; editing one row (fixing a
    typo) gives only that row a new key, so the rest are not generated again; two identical
    lines are two videos. `run_label` (--run-label) starts a deliberately separate run.
    """
    planned: list[PlannedRow] = []
    seen: Counter[str] = Counter()
    for row in rows:
        request, error = build_request(row, defaults)
        item = PlannedRow(line=row.line, request=request, error=row.error or error)
        canonical = canonical_json(request)
        occurrence = seen[canonical]
        seen[canonical] += 1
        row_key = sha256_hex(f"{run_label}\n{occurrence}\n{canonical}")
        item.idempotency_key = f"batch:{row_key[:48]}"
        item.fingerprint = request_fingerprint(request)
        if not item.error:
            try:
                item.spec = parse_generate_request(request)
            except ValidationError as exc:
                item.error = format_errors(exc.message_dict, request)
        planned.append(item)
    return planned
