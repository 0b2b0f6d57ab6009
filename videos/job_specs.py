"""The one validator of a generate request: `parse_generate_request` turns the request body
(the API's JSON, the studio's, the admin form's, a batch row, a rerun) into a complete job
spec (template applied, presets resolved, seed chosen) or raises Django's ValidationError
with a message dict {field: [messages]}. Every resolved value is stored on the job, so a
video can be reproduced."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from .generation.encoding import DEFAULT_FIT, DEFAULT_PAD_COLOR, FITS
from .generation.engine import model_setting
from .generation.profiles import ModelProfile, profile_for
from .models import PromptTemplate
from .prompt_checks import language_warning
from .prompt_templates import render
from .validation import (
    InputImage,
    boolean_field,
    check_callback_url,
    check_formats,
    check_image_bytes,
    check_metadata,
    check_pad_color,
    check_size,
    decode_data_url,
    fetch_image_url,
    image_field,
    integer_field,
    json_field,
    number_field,
    object_field,
    parse_resolution,
    reject_control_characters,
    text_field,
)

MAX_SEED = 2**32 - 1
MAX_PROMPT_CHARS = 2000
MIN_GUIDANCE, MAX_GUIDANCE = 1.0, 20.0


@dataclass
class JobSpec:
    prompt: str
    negative_prompt: str
    params: dict
    template: PromptTemplate | None = None
    variables: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    callback_url: str = ""
    image: InputImage | None = None  # image-to-video: the checked input image
    warnings: list[str] = field(default_factory=list)  # advice the job carries from its creation


def duration_message(profile: ModelProfile) -> str:
    durations = profile.durations
    if durations == tuple(range(1, profile.max_duration + 1)):
        return f"Must be a whole number of seconds from 1 to {profile.max_duration} for {profile.name}."
    return f"Must be one of {', '.join(map(str, durations))} seconds for {profile.name}."


def current_profile() -> tuple[str, ModelProfile]:
    """The default model (COGVIDEO_MODEL) and its profile: what a request naming no model gets."""
    model = model_setting()
    return model, profile_for(model)


def served_models() -> list[str]:
    """The models this installation's workers serve (COGVIDEO_WORKER_MODELS; by default the
    default model alone)."""
    return list(settings.COGVIDEO_WORKER_MODELS) or [model_setting()]


def model_queue(model: str) -> str:
    """The GPU queue whose workers serve `model` (settings.COGVIDEO_MODEL_QUEUES); the default
    queue for the default model, and for a model no longer served (a job queued before a
    configuration change)."""
    return settings.COGVIDEO_MODEL_QUEUES.get(model) or settings.COGVIDEO_QUEUE_NAME


def model_label(model: str) -> str:
    """A model as it may be shown to anyone: a local folder by its name, not its path."""
    return Path(model).name if Path(model).is_absolute() else model


def model_names(model: str) -> set[str]:
    """What a request may call a served model: its id, its profile name (cogvideox-5b-i2v),
    or a local folder's name; any case."""
    return {model.lower(), model_label(model).lower(), profile_for(model).name}


def resolve_model(name: str | None) -> str:
    """The served model a request's `model` names (the default when it names none), or
    ValidationError saying which are served."""
    served = served_models()
    offered = ", ".join(model_label(m) for m in served)
    if not name:
        default = model_setting()
        if default not in served:
            raise ValidationError(f"Name a model: the default {model_label(default)} is not served here ({offered}).")
        return default
    wanted = name.strip().lower()
    for model in served:
        if wanted in model_names(model):
            return model
    raise ValidationError(f"No worker here serves {name!r}; this service serves {offered}.")


# The fields of a generate request and their type checks, in the order errors are reported.
# videos/api/serializers.py builds the OpenAPI schema's fields from them (validation.FieldKind).
REQUEST_FIELDS = {
    "prompt": text_field(max_length=MAX_PROMPT_CHARS, checks=[reject_control_characters]),
    "negative_prompt": text_field(max_length=MAX_PROMPT_CHARS, checks=[reject_control_characters]),
    "duration": integer_field,
    "resolution": text_field(max_length=16, allow_null=True, allow_blank=False),
    "fit": text_field(max_length=16, allow_null=True, allow_blank=False),
    "pad_color": text_field(max_length=16, allow_null=True, allow_blank=False, checks=[check_pad_color]),
    "fps": integer_field,
    "formats": json_field(checks=[check_formats]),
    "enhance_quality": boolean_field,
    "seed": integer_field,
    "num_inference_steps": integer_field,
    "guidance_scale": number_field,
    "template": text_field(max_length=64, allow_null=True, slug=True),
    "variables": object_field,
    "callback_url": text_field(max_length=2000, checks=[check_callback_url]),
    "metadata": json_field(checks=[check_metadata], object_only=True),
    "model": text_field(max_length=255, allow_null=True, allow_blank=False),
    "image": image_field,
    "image_url": text_field(max_length=2000, allow_null=True, checks=[reject_control_characters]),
}


def parse_generate_request(data) -> JobSpec:
    """Check a generate request and resolve it against the current model profile. Raises
    ValidationError({field: [messages]}) with every problem at once: unknown fields, wrong
    types, and values the model or the templates do not allow (checked for every field that
    has its type), so a caller fixes the request in one round."""
    if data is None:
        raise ValidationError({"non_field_errors": ["No data provided"]})
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
    errors: dict[str, list] = {name: ["Unknown field."] for name in sorted(set(data) - set(REQUEST_FIELDS))}
    clean: dict = {}
    for name, check in REQUEST_FIELDS.items():
        if name not in data:
            continue
        try:
            clean[name] = check(data[name])
        except ValidationError as exc:
            errors[name] = exc.messages
    try:
        spec = _resolve(clean)
    except ValidationError as exc:
        # A field with a type error keeps that error (its value was not checked further).
        errors = {**exc.error_dict, **errors}  # error_dict: the codes stay (validation.IMAGE_TYPE)
    if errors:
        order = [*sorted(set(data) - set(REQUEST_FIELDS)), *REQUEST_FIELDS]
        raise ValidationError(
            dict(sorted(errors.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))
        )
    return spec


def _resolve(data: dict) -> JobSpec:
    """`data` holds type-checked request fields. Raises ValidationError with a dict of
    field -> messages when the values don't fit the model."""
    errors: dict[str, list[str]] = {}
    try:
        model = resolve_model(data.get("model"))
    except ValidationError as exc:
        errors["model"] = exc.messages
        model = model_setting()  # the rest is still checked, against the default's rules
    profile = profile_for(model)
    template = None
    variables = data.get("variables") or {}
    prompt = (data.get("prompt") or "").strip()
    negative = (data.get("negative_prompt") or "").strip()
    defaults: dict = {}

    slug = data.get("template")
    if slug:
        template = PromptTemplate.objects.filter(slug=slug, is_active=True).first()
        if template is None:
            errors["template"] = [f"No active template {slug!r}."]
        else:
            defaults = dict(template.default_params or {})
            if not prompt:
                try:
                    prompt = render(template, variables)
                except ValidationError as exc:
                    errors["variables"] = exc.messages
            negative = negative or template.default_negative_prompt
    elif variables:
        errors["variables"] = ["variables need a template."]
    if not prompt and "template" not in errors and "variables" not in errors:
        errors["prompt"] = ["Give a prompt, or a template with its variables."]
    elif len(prompt) > MAX_PROMPT_CHARS:
        errors["variables" if template and not data.get("prompt") else "prompt"] = [
            f"The prompt is longer than {MAX_PROMPT_CHARS} characters."
        ]

    def pick(name: str, fallback):
        value = data.get(name)
        return defaults.get(name, fallback) if value is None else value

    duration = pick("duration", profile.default_duration)
    if not isinstance(duration, int) or duration not in profile.durations:
        errors["duration"] = [duration_message(profile)]

    # `resolution` is the delivered size; the engine renders at the trained size nearest in
    # aspect ratio and the encoder fits the frames to it (crop, pad or stretch).
    width, height = profile.native_width, profile.native_height
    resolution = pick("resolution", None)
    if resolution:
        try:
            width, height = parse_resolution(str(resolution))
            check_size(width, height, profile)
        except ValidationError as exc:
            errors["resolution"] = exc.messages
    fit = pick("fit", None) or DEFAULT_FIT
    if fit not in FITS:
        errors["fit"] = [f"Must be one of {', '.join(FITS)}."]
    pad_color = pick("pad_color", None) or None
    if pad_color is not None:
        try:
            pad_color = check_pad_color(str(pad_color))
        except ValidationError as exc:
            errors["pad_color"] = exc.messages
    fps = pick("fps", profile.fps)
    if not isinstance(fps, int) or isinstance(fps, bool) or fps not in profile.delivered_fps:
        errors["fps"] = [f"Must be one of {', '.join(map(str, profile.delivered_fps))} for {profile.name}."]
    formats = pick("formats", None) or ["mp4"]
    try:
        formats = check_formats(formats)
    except ValidationError as exc:
        errors["formats"] = exc.messages

    enhance = bool(pick("enhance_quality", True))
    steps = pick("num_inference_steps", profile.quality_steps if enhance else profile.draft_steps)
    if not isinstance(steps, int) or not 1 <= steps <= profile.max_steps:
        errors["num_inference_steps"] = [f"Must be from 1 to {profile.max_steps}."]
    guidance = pick("guidance_scale", profile.default_guidance)
    if not isinstance(guidance, int | float) or not MIN_GUIDANCE <= guidance <= MAX_GUIDANCE:
        errors["guidance_scale"] = [f"Must be from {MIN_GUIDANCE} to {MAX_GUIDANCE}."]
    seed = data.get("seed")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        errors["seed"] = [f"Must be from 0 to {MAX_SEED}."]
    image_field_name = _check_image_fields(data, model, profile, errors)
    if errors:
        raise ValidationError(errors)
    image = _input_image(data, image_field_name) if image_field_name else None

    render_width, render_height = profile.render_size_for(width, height)
    params = {
        "model": model,
        "profile": profile.name,
        "width": width,
        "height": height,
        "resolution": f"{width}x{height}",
        "render_width": render_width,
        "render_height": render_height,
        "render_resolution": f"{render_width}x{render_height}",
        "fit": fit,
        "pad_color": (pad_color or DEFAULT_PAD_COLOR) if fit == "pad" else None,
        "duration": duration,
        "num_frames": profile.frames_for(duration),  # rendered, at the native rate
        "render_fps": profile.fps,
        "fps": fps,  # delivered: fps * duration + 1 frames
        "interpolation": settings.COGVIDEO_INTERPOLATION if fps != profile.fps else None,
        "formats": formats,
        "enhance_quality": enhance,
        "num_inference_steps": steps,
        "guidance_scale": float(guidance),
        "use_dynamic_cfg": profile.use_dynamic_cfg,
        "seed": secrets.randbelow(MAX_SEED + 1) if seed is None else seed,
        "seed_given": seed is not None,
        "kind": profile.kind,
    }
    if image is not None:
        # The input is fitted to the render size by the output's rules (fit, pad_color).
        params["image_sha256"] = image.sha256
        params["image"] = {**image.describe(), "fitted_to": params["render_resolution"], "fit": fit}
    return JobSpec(
        prompt=prompt,
        negative_prompt=negative,
        params=params,
        template=template,
        variables=variables,
        metadata=data.get("metadata") or {},
        callback_url=data.get("callback_url") or "",
        image=image,
        warnings=[warning for warning in [language_warning(prompt)] if warning],
    )


def _check_image_fields(data: dict, model: str, profile: ModelProfile, errors: dict) -> str | None:
    """Whether the request's image fields fit its model; the field that carries the image."""
    given = [name for name in ("image", "image_url") if data.get(name)]
    if "model" in errors:
        return None
    if len(given) > 1:
        errors["image"] = ["Give image or image_url, not both."]
    elif profile.takes_image and not given:
        errors["image"] = [
            f"{model_label(model)} is an image-to-video model: give an image (a file or a data URL) or an image_url."
        ]
    elif given and not profile.takes_image:
        takers = [model_label(m) for m in served_models() if profile_for(m).takes_image]
        hint = f" Image-to-video here: {', '.join(takers)} (the model field)." if takers else ""
        errors[given[0]] = [f"{model_label(model)} is a text-to-video model; it takes no image.{hint}"]
    return given[0] if len(given) == 1 and profile.takes_image else None


def _input_image(data: dict, name: str) -> InputImage:
    try:
        if name == "image" and isinstance(data["image"], bytes):
            return check_image_bytes(data["image"], field="image", source="upload")
        if name == "image":
            return check_image_bytes(decode_data_url(data["image"]), field="image", source="data_url")
        return fetch_image_url(data["image_url"])
    except ValidationError as exc:
        raise ValidationError({name: exc.error_list}) from None


def parse_prompt_check(data) -> tuple[str, str]:
    """A prompt check request ({"prompt", "model"}: the studio's counter): the prompt as the
    generate request would take it and the served model it is for."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
    errors: dict[str, list] = {name: ["Unknown field."] for name in sorted(set(data) - {"prompt", "model"})}
    prompt = model = ""
    try:
        prompt = REQUEST_FIELDS["prompt"](data.get("prompt", "")) or ""
    except ValidationError as exc:
        errors["prompt"] = exc.messages
    try:
        model = resolve_model(REQUEST_FIELDS["model"](data.get("model")))
    except ValidationError as exc:
        errors["model"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return prompt, model
