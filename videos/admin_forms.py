"""Forms of the admin. They only collect input: every value is then checked by
job_specs.parse_generate_request (the API's validation), and its messages are shown on the
form fields, so the rules live in one place."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .job_specs import current_profile, parse_generate_request
from .models import PromptTemplate
from .prompt_templates import placeholders
from .selectors import model_description

# default_params keys a template may set: the ones job_specs.parse_generate_request resolves.
TEMPLATE_DEFAULT_KEYS = ("duration", "resolution", "enhance_quality", "num_inference_steps", "guidance_scale")
QUALITY_CHOICES = [("", "Template default (full quality)"), ("full", "Full quality"), ("draft", "Fast draft")]


def parse_variable_lines(text: str) -> dict[str, str]:
    """`name = value` (or `name: value`), one per line: friendlier than JSON for editors."""
    variables: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        separator = "=" if "=" in line else ":"
        name, found, value = line.partition(separator)
        if not found or not name.strip():
            raise ValidationError(f"Line {number}: write name = value.")
        variables[name.strip()] = value.strip()
    return variables


def apply_request_errors(form: forms.Form, errors: dict) -> None:
    """Show the validator's messages on the matching form fields (others on the form)."""
    for name, messages in errors.items():
        if isinstance(messages, dict):
            messages = [f"{key}: {value}" for key, value in messages.items()]
        field = name if name in form.fields else None
        for message in messages:
            form.add_error(field, f"{name}: {message}" if field is None and name != "non_field_errors" else message)


class GenerateVideoForm(forms.Form):
    prompt = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Describe the video in English. Leave empty to use the template's text.",
    )
    template = forms.ModelChoiceField(
        queryset=PromptTemplate.objects.filter(is_active=True),
        required=False,
        to_field_name="slug",
        empty_label="(no template)",
    )
    variables = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Template variables, one per line: name = value.",
    )
    negative_prompt = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))
    duration = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, help_text="Seconds of video.")
    resolution = forms.CharField(required=False, max_length=16, help_text="WIDTHxHEIGHT, e.g. 720x480.")
    quality = forms.ChoiceField(choices=QUALITY_CHOICES, required=False)
    seed = forms.IntegerField(required=False, help_text="Leave empty for a random seed.")
    num_inference_steps = forms.IntegerField(required=False, label="Steps", help_text="Overrides the quality preset.")
    fit = forms.ChoiceField(
        required=False,
        help_text="How the rendered frames become the resolution: crop (cover, centre crop), pad "
        "(letterbox) or stretch. Nothing is resampled when the resolution is a trained size.",
    )
    pad_color = forms.CharField(required=False, max_length=7, label="Pad colour", help_text="#rrggbb, black or white.")
    fps = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Frame rate")
    webm = forms.BooleanField(required=False, label="WebM too", help_text="A VP9 WebM besides the MP4.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model, profile = current_profile()
        # The choices GET /api/models lists for the served model: one source for both.
        described = model_description(model, profile)
        self.fields["fit"].choices = [("", f"Default ({described['default_fit']})")] + [
            (fit, fit) for fit in described["fits"]
        ]
        self.fields["fps"].choices = [("", f"Native ({described['native_fps']} fps)")] + [
            (str(rate), f"{rate} fps" + ("" if rate == described["native_fps"] else " (interpolated)"))
            for rate in described["fps"]
        ]
        trained = ", ".join(described["trained"]["sizes"]) or profile.describe_trained_sizes()
        self.fields["resolution"].help_text = (
            f"WIDTHxHEIGHT delivered, multiples of {profile.size_multiple}, "
            f"{profile.min_side}-{profile.max_side} a side; renders at {trained}."
        )
        self.fields["duration"].choices = [("", "Template default")] + [
            (str(seconds), f"{seconds} s") for seconds in profile.durations
        ]
        self.fields["resolution"].widget.attrs["placeholder"] = f"{profile.native_width}x{profile.native_height}"

    def clean_variables(self) -> dict[str, str]:
        return parse_variable_lines(self.cleaned_data.get("variables") or "")

    def request_body(self) -> dict:
        """The API request this form stands for (only the fields that were filled in)."""
        data = self.cleaned_data
        body: dict = {}
        for name in ("prompt", "negative_prompt", "resolution", "fit", "pad_color"):
            if data.get(name):
                body[name] = data[name]
        if data.get("template"):
            body["template"] = data["template"].slug
        if data.get("variables"):
            body["variables"] = data["variables"]
        for name in ("duration", "seed", "num_inference_steps", "fps"):
            if data.get(name) is not None:
                body[name] = data[name]
        if data.get("webm"):
            body["formats"] = ["mp4", "webm"]
        if data.get("quality"):
            body["enhance_quality"] = data["quality"] == "full"
        return body

    def validated_spec(self):
        """The JobSpec, or None with the validator's errors added to the form."""
        try:
            return parse_generate_request(self.request_body())
        except ValidationError as exc:
            apply_request_errors(self, exc.message_dict)
            return None


class PromptTemplateForm(forms.ModelForm):
    class Meta:
        model = PromptTemplate
        fields = [
            "name",
            "slug",
            "text",
            "sample_variables",
            "default_negative_prompt",
            "default_params",
            "is_active",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 5, "cols": 80})}
        help_texts = {
            "sample_variables": 'Example values for the placeholders, used by the preview, e.g. {"subject": "a fox"}.',
        }

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        placeholders(text)  # raises ValidationError for {x.attr}, {x!r}, {x:>10}
        return text

    def clean_sample_variables(self) -> dict:
        value = self.cleaned_data.get("sample_variables") or {}
        if not isinstance(value, dict):
            raise ValidationError("Write a JSON object of name: value.")
        return value

    def clean_default_params(self) -> dict:
        value = self.cleaned_data.get("default_params") or {}
        if not isinstance(value, dict):
            raise ValidationError('Write a JSON object, e.g. {"duration": 4}.')
        unknown = sorted(set(value) - set(TEMPLATE_DEFAULT_KEYS))
        if unknown:
            raise ValidationError(f"Unknown keys: {', '.join(unknown)}. Allowed: {', '.join(TEMPLATE_DEFAULT_KEYS)}.")
        try:
            parse_generate_request({"prompt": "check", **value})
        except ValidationError as exc:
            raise ValidationError(
                [f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()]
            ) from None
        return value
