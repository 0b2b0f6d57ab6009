"""Input checks shared by the API, the studio, the admin and batch commands."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from videos import egress
from videos.generation.encoding import FORMATS

RESOLUTION_RE = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")
METADATA_MAX_BYTES = 4096
METADATA_MAX_DEPTH = 4
ALLOWED_CONTROL_CHARS = {"\n", "\r", "\t"}


def reject_control_characters(value: str) -> str:
    for char in value:
        if char not in ALLOWED_CONTROL_CHARS and unicodedata.category(char) in {"Cc", "Cs"}:
            raise ValidationError(f"Control character U+{ord(char):04X} is not allowed.")
    return value


def parse_resolution(value: str) -> tuple[int, int]:
    match = RESOLUTION_RE.match(value or "")
    if not match:
        raise ValidationError('Use "WIDTHxHEIGHT", for example "720x480".')
    return int(match.group(1)), int(match.group(2))


def check_size(width: int, height: int, profile) -> None:
    problems = []
    for name, side in (("width", width), ("height", height)):
        if side % profile.size_multiple:
            problems.append(f"{name} {side} is not a multiple of {profile.size_multiple}")
        if not profile.min_side <= side <= profile.max_side:
            problems.append(f"{name} {side} is outside {profile.min_side}..{profile.max_side}")
    if not problems and width * height > profile.max_pixels:
        problems.append(f"{width}x{height} has more than {profile.max_pixels} pixels")
    if problems:
        raise ValidationError("; ".join(problems) + f" (model {profile.name}).")


PAD_COLOR_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")
PAD_COLOR_NAMES = {"black": "#000000", "white": "#ffffff"}


def check_pad_color(value: str) -> str:
    """The letterbox colour of fit "pad": "#rrggbb" (the # optional), "black" or "white";
    returned as "#rrggbb"."""
    text = value.strip().lower()
    if text in PAD_COLOR_NAMES:
        return PAD_COLOR_NAMES[text]
    match = PAD_COLOR_RE.match(text)
    if not match:
        raise ValidationError('Use a colour "#RRGGBB" (for example "#000000"), "black" or "white".')
    return "#" + match.group(1)


def check_formats(value) -> list[str]:
    """The files to deliver besides the poster and preview: a list of "mp4" / "webm". The MP4
    is always made (the download's default); the answer is the sorted set with it."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(f"Must be a list of formats: {', '.join(FORMATS)}.")
    unknown = sorted({item for item in value if item not in FORMATS})
    if unknown:
        raise ValidationError(f"Unknown format {', '.join(unknown)}; the formats are {', '.join(FORMATS)}.")
    return sorted({"mp4", *value})


def _depth(value, level: int = 0) -> int:
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level + 1])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level + 1])
    return level


def _strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def check_metadata(value) -> dict:
    if not isinstance(value, dict):
        raise ValidationError("metadata must be a JSON object.")
    for text in _strings_in(value):
        reject_control_characters(text)
    if len(json.dumps(value, ensure_ascii=False).encode()) > METADATA_MAX_BYTES:
        raise ValidationError(f"metadata is larger than {METADATA_MAX_BYTES} bytes.")
    if _depth(value) > METADATA_MAX_DEPTH:
        raise ValidationError(f"metadata is nested deeper than {METADATA_MAX_DEPTH} levels.")
    return value


def check_callback_url(url: str) -> str:
    """The creation-time check of a callback_url: the egress rules (videos/egress.py), so the
    URL cannot aim the webhook at internal services; delivery checks it again and pins it."""
    reject_control_characters(url)
    try:
        egress.check_url(url, field="callback_url")
    except egress.EgressError as exc:
        raise ValidationError(str(exc)) from None
    return url


# --- Request fields ---------------------------------------------------------------------------
# Type checks for the fields of a generate request (see job_specs.parse_generate_request). They
# are strict JSON types: "4", 4.7 and true are not integers. Each check takes the value as
# given and returns the clean value, or raises ValidationError with every message that
# applies. The messages are the API's (DRF's wording where DRF used to produce them), so
# clients see the same text whichever door the request came in by.

NOT_NULL = "This field may not be null."


def _collect(value, checks) -> None:
    messages: list[str] = []
    for check in checks:
        try:
            check(value)
        except ValidationError as exc:
            messages.extend(exc.messages)
    if messages:
        raise ValidationError(messages)


def _max_length(limit: int):
    def check(value: str) -> None:
        if len(value) > limit:
            raise ValidationError(f"Ensure this field has no more than {limit} characters.")

    return check


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("Null characters are not allowed.")


def _no_surrogates(value: str) -> None:
    surrogate = next((char for char in value if 0xD800 <= ord(char) <= 0xDFFF), None)
    if surrogate is not None:
        raise ValidationError(f"Surrogate characters are not allowed: U+{ord(surrogate):X}.")


SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


SLUG_MESSAGE = 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'


def _slug(value: str) -> None:
    if not SLUG_RE.match(value):
        raise ValidationError(SLUG_MESSAGE)


@dataclass(frozen=True)
class FieldKind:
    """What a field check accepts, for describing the field elsewhere (the OpenAPI schema is
    built from these in videos/api/serializers.py)."""

    kind: str  # text, integer, number, boolean, object, json
    allow_null: bool = True
    allow_blank: bool = True
    max_length: int | None = None
    slug: bool = False


def text_field(*, max_length: int, allow_null: bool = False, allow_blank: bool = True, checks=(), slug: bool = False):
    """A string, surrounding white space removed; blank (when allowed) skips the checks. A
    slug also takes a JSON number as its text (as the API always has)."""

    def check(value):
        if value == "" or str(value).strip() == "":
            if not allow_blank:
                raise ValidationError("This field may not be blank.")
            return ""
        if value is None:
            if allow_null:
                return None
            raise ValidationError(NOT_NULL)
        if slug:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValidationError(SLUG_MESSAGE)
        elif not isinstance(value, str):
            raise ValidationError("Must be a string.")
        value = str(value).strip()
        _collect(value, [*checks, _max_length(max_length), _no_nul, _no_surrogates, *([_slug] if slug else [])])
        return value

    check.kind = FieldKind("text", allow_null=allow_null, allow_blank=allow_blank, max_length=max_length, slug=slug)
    return check


def integer_field(value):
    if value is None:
        return None
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise ValidationError("Must be a whole number (JSON integer).")
    return int(value)


integer_field.kind = FieldKind("integer")


def number_field(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("Must be a number.")
    try:
        number = float(value)
    except OverflowError:
        raise ValidationError("Integer value too large to convert to float") from None
    if not math.isfinite(number):
        raise ValidationError("Must be a number.")
    return number


number_field.kind = FieldKind("number")


def boolean_field(value):
    if value is not None and not isinstance(value, bool):
        raise ValidationError("Must be true or false.")
    return value


boolean_field.kind = FieldKind("boolean")


def object_field(value):
    """A JSON object of anything (template variables; their text is checked when rendered)."""
    if value is None:
        raise ValidationError(NOT_NULL)
    if not isinstance(value, dict):
        raise ValidationError(f'Expected a dictionary of items but got type "{type(value).__name__}".')
    return {str(key): item for key, item in value.items()}


object_field.kind = FieldKind("object", allow_null=False)


def json_field(*, checks=(), object_only: bool = False):
    """Any JSON value (not null); `object_only` says the checks take JSON objects only, so
    the schema describes it as one."""

    def check(value):
        if value is None:
            raise ValidationError(NOT_NULL)
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise ValidationError("Value must be valid JSON.") from None
        _collect(value, checks)
        return value

    check.kind = FieldKind("object" if object_only else "json", allow_null=False)
    return check


# --- Input images (image-to-video) ------------------------------------------------------------
# An image comes as a base64 data URL (`image`) or a URL the service fetches (`image_url`,
# through videos/egress.py: public addresses only, no redirects, size and time caps). Either
# way its bytes are judged by Pillow, never by a declared type: PNG, JPEG or WebP, within
# COGVIDEO_MAX_IMAGE_BYTES and COGVIDEO_MAX_IMAGE_PIXELS (checked from the header, before
# decoding, so a decompression bomb is refused without being expanded), sides at least
# COGVIDEO_MIN_IMAGE_SIDE, and decodable to the end (a truncated file is refused).
# Two refusals carry a code the API answers with its own status: IMAGE_TOO_LARGE (413) and
# IMAGE_TYPE (415); every other bad image is a 400.
IMAGE_TOO_LARGE, IMAGE_TYPE = "image_too_large", "image_type"

IMAGE_FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}
IMAGE_FORMAT_NAMES = "PNG, JPEG or WebP"
DATA_URL_RE = re.compile(r"^data:([^,;]*)((?:;[^,;]*)*),", re.IGNORECASE)
BASE64_RE = re.compile(rb"^[A-Za-z0-9+/]*={0,2}$")


@dataclass(frozen=True)
class InputImage:
    """A checked input image: its bytes as given, what Pillow found in them, their digest."""

    content: bytes
    format: str  # a key of IMAGE_FORMATS
    width: int
    height: int
    sha256: str
    source: str  # "data_url", "upload" (a form's file part) or "image_url"

    @property
    def content_type(self) -> str:
        return IMAGE_FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return IMAGE_FORMATS[self.format][1]

    def describe(self) -> dict:
        return {
            "sha256": self.sha256,
            "format": self.format.lower(),
            "width": self.width,
            "height": self.height,
            "bytes": len(self.content),
            "source": self.source,
        }


def image_field(value):
    """The `image` field's type check: a string (the data URL is decoded and judged later,
    once the rest of the request is known to be good), or the bytes of a form's file part
    (videos/api/form_requests.py; a JSON body cannot give bytes)."""
    if value is None or value == "" or value == b"":
        return None
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValidationError('Must be a string: a data URL such as "data:image/png;base64,iVBOR...".')
    return value.strip()


image_field.kind = FieldKind("text", allow_null=True, allow_blank=True)


def decode_data_url(value: str, *, field: str = "image") -> bytes:
    from django.conf import settings

    match = DATA_URL_RE.match(value[:300])
    if not match or "base64" not in match.group(2).lower().split(";"):
        raise ValidationError(f'{field} must be a base64 data URL ("data:image/png;base64,...").')
    payload = value[match.end() :].encode("ascii", errors="replace")
    payload = b"".join(payload.split())  # line breaks are allowed in base64
    limit = settings.COGVIDEO_MAX_IMAGE_BYTES
    if len(payload) * 3 // 4 > limit + 2:
        raise ValidationError(f"{field} is larger than {limit} bytes.", code=IMAGE_TOO_LARGE)
    if len(payload) % 4 or not BASE64_RE.match(payload):
        raise ValidationError(f"{field} is not valid base64.")
    import base64

    return base64.b64decode(payload)


def check_image_bytes(content: bytes, *, field: str, source: str) -> InputImage:
    import hashlib
    import io
    import warnings

    from django.conf import settings
    from PIL import Image, UnidentifiedImageError

    limit = settings.COGVIDEO_MAX_IMAGE_BYTES
    if len(content) > limit:
        raise ValidationError(f"{field} is larger than {limit} bytes.", code=IMAGE_TOO_LARGE)
    formats = IMAGE_FORMAT_NAMES
    max_pixels = settings.COGVIDEO_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only these decoders run on untrusted bytes: anything else is "not an image".
            image = Image.open(io.BytesIO(content), formats=list(IMAGE_FORMATS))
            found = image.format
            width, height = image.size
            if width * height > max_pixels:
                raise ValidationError(
                    f"{field} is {width}x{height} ({width * height} pixels); at most {max_pixels} pixels are taken."
                )
            smallest = settings.COGVIDEO_MIN_IMAGE_SIDE
            if min(width, height) < smallest:
                raise ValidationError(f"{field} is {width}x{height}; each side must be at least {smallest} pixels.")
            image.load()  # decodes to the end: a truncated or corrupt file fails here
    except UnidentifiedImageError:
        raise ValidationError(f"{field} is not a {formats} image.", code=IMAGE_TYPE) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(f"{field} has too many pixels (at most {max_pixels}).") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(f"{field} is truncated or corrupt ({exc}).") from None
    return InputImage(
        content=content,
        format=found,
        width=width,
        height=height,
        sha256=hashlib.sha256(content).hexdigest(),
        source=source,
    )


def fetch_image_url(url: str) -> InputImage:
    """GET image_url through the egress rules (videos/egress.py) and check what came back."""
    from django.conf import settings

    try:
        response = egress.fetch(
            url,
            max_bytes=settings.COGVIDEO_MAX_IMAGE_BYTES,
            timeout=settings.COGVIDEO_IMAGE_FETCH_SECONDS,
            field="image_url",
        )
    except egress.EgressError as exc:
        raise ValidationError(str(exc), code=IMAGE_TOO_LARGE if exc.rule == "size" else None) from None
    return check_image_bytes(response.content, field="image_url", source="image_url")
