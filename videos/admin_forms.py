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


def variable_lines(variables: dict) -> str:
    return "\n".join(f"{name} = {value}" for name, value in (variables or {}).items())


def read_sample_variables(text: str) -> dict:
    """The template form's sample variables: `name = value` lines (a JSON object, as older
    forms and the API write them, is read too)."""
    import json

    text = (text or "").strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            raise ValidationError("Sample variables are not valid JSON.") from None
        if not isinstance(value, dict):
            raise ValidationError("Write one name = value a line.")
        return {str(name): item for name, item in value.items()}
    return parse_variable_lines(text)


# The template's defaults as form fields (name in the form -> key of default_params).
DEFAULT_FIELDS = {
    "default_duration": "duration",
    "default_resolution": "resolution",
    "default_fit": "fit",
    "default_fps": "fps",
    "default_quality": "enhance_quality",
    "default_steps": "num_inference_steps",
    "default_guidance": "guidance_scale",
}


class PromptTemplateForm(forms.ModelForm):
    """Variables and defaults as fields, not JSON: the form builds sample_variables and
    default_params from them, and every default is checked by the API's validator."""

    sample_variables = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "placeholder": "product = red sneaker"}),
        help_text="Example values for the placeholders, one name = value a line: the preview and the "
        "studio's form start with them.",
    )
    default_duration = forms.IntegerField(required=False, min_value=1, label="Duration (s)")
    default_resolution = forms.CharField(required=False, max_length=16, label="Resolution", help_text="WIDTHxHEIGHT")
    default_fit = forms.ChoiceField(required=False, label="Fit")
    default_fps = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Frame rate")
    default_quality = forms.ChoiceField(
        required=False, label="Quality", choices=[("", "Not set"), ("full", "Full quality"), ("draft", "Fast draft")]
    )
    default_steps = forms.IntegerField(required=False, min_value=1, label="Steps")
    default_guidance = forms.FloatField(required=False, label="Guidance scale")

    class Meta:
        model = PromptTemplate
        fields = ["name", "slug", "text", "default_negative_prompt", "is_active"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model, profile = current_profile()
        described = model_description(model, profile)
        self.fields["default_fit"].choices = [("", "Not set"), *((fit, fit) for fit in described["fits"])]
        self.fields["default_fps"].choices = [("", "Not set"), *((rate, f"{rate} fps") for rate in described["fps"])]
        self.fields["default_duration"].help_text = f"{', '.join(map(str, described['durations']))} s"
        self.fields["default_steps"].help_text = f"1-{profile.max_steps}; empty: the quality's preset"
        instance = self.instance
        if instance and instance.pk and not self.is_bound:
            self.initial["sample_variables"] = variable_lines(instance.sample_variables)
            defaults = instance.default_params or {}
            for name, key in DEFAULT_FIELDS.items():
                if key in defaults:
                    value = defaults[key]
                    self.initial[name] = ("full" if value else "draft") if key == "enhance_quality" else value

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        placeholders(text)  # raises ValidationError for {x.attr}, {x!r}, {x:>10}
        return text

    def clean_sample_variables(self) -> dict:
        return read_sample_variables(self.cleaned_data.get("sample_variables") or "")

    def default_params(self) -> dict:
        values = {}
        for name, key in DEFAULT_FIELDS.items():
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            values[key] = value == "full" if key == "enhance_quality" else value
        return values

    def clean(self):
        cleaned = super().clean()
        defaults = self.default_params()
        try:
            parse_generate_request({"prompt": "check", **defaults})
        except ValidationError as exc:
            by_key = {key: name for name, key in DEFAULT_FIELDS.items()}
            for key, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(by_key.get(key), message if key in by_key else f"{key}: {message}")
        return cleaned

    def save(self, commit: bool = True):
        self.instance.sample_variables = self.cleaned_data.get("sample_variables") or {}
        self.instance.default_params = self.default_params()
        return super().save(commit)
