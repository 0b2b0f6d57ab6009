"""API tokens: their format, their stored digest, and the one validator of a scoped token
request (the API's POST /api/tokens/scoped and `manage.py create_scoped_token` share it).

A token is shown once, when it is issued; the database keeps only HMAC-SHA256(token) under
COGVIDEO_TOKEN_HASH_KEY (default: the secret key), so a copy of the database (a backup, a
leaked dump) holds no usable token, and a lookup is one indexed equality on the digest.
Account tokens start `cvk_`, scoped browser tokens `cvs_`; the tokens DRF issued before
(40 hex digits) keep working: migration 0010 stored their digests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

ACCOUNT_PREFIX = "cvk_"
SCOPED_PREFIX = "cvs_"
SHOWN_CHARACTERS = 12  # the kind's 4 and 8 random ones: tells tokens apart, never enough to use
LEGACY_SHOWN_CHARACTERS = 4
MAX_TOKEN_LENGTH = 200

ACTIONS = ("generate", "status", "download", "list")
MAX_ORIGINS = 20
MAX_RATE_PER_MINUTE = 600
MAX_JOB_QUOTA = 10000
DEFAULT_RATE_PER_MINUTE = 30
DEFAULT_JOB_QUOTA = 20


def token_digest(token: str) -> str:
    key = settings.COGVIDEO_TOKEN_HASH_KEY.encode()
    return hmac.new(key, token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def shown_prefix(token: str) -> str:
    """What may be shown of a token (lists, logs, messages)."""
    if token.startswith((ACCOUNT_PREFIX, SCOPED_PREFIX)):
        return token[:SHOWN_CHARACTERS]
    return token[:LEGACY_SHOWN_CHARACTERS]


# Letters and digits only (~238 bits in 40 of them): a double click selects the whole token,
# and no shell, URL or log format needs it quoted.
ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 40


def new_token(scoped: bool) -> str:
    return (SCOPED_PREFIX if scoped else ACCOUNT_PREFIX) + "".join(
        secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH)
    )


def normalize_origin(value) -> str:
    """'https://Shop.Example:443' -> 'https://shop.example'; anything but an exact origin
    (scheme://host[:port], no path, query, user or wildcard) is a ValidationError."""
    if not isinstance(value, str) or not value or len(value) > 255:
        raise ValidationError("An origin is a string such as https://www.example.com.")
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(f"{value!r}: invalid port.") from None
    host = parts.hostname or ""
    if (
        parts.scheme.lower() not in ("http", "https")
        or not host
        or "*" in value
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValidationError(f"{value!r} is not an exact origin: use scheme://host[:port], nothing more.")
    scheme = parts.scheme.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


@dataclass(frozen=True)
class ScopedTokenSpec:
    name: str
    actions: tuple[str, ...]
    origins: tuple[str, ...]
    lifetime: timedelta
    rate_per_minute: int
    job_quota: int


def _bounded_int(body: dict, field: str, default: int | None, low: int, high: int, errors: dict) -> int | None:
    value = body.get(field, default)
    if value is None:
        errors[field] = ["This field is required."]
    elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = [f"A whole number from {low} to {high}."]
    else:
        return value
    return None


def parse_scoped_token_request(body) -> ScopedTokenSpec:
    """The fields of a scoped token: `actions` (some of generate, status, download, list),
    `origins` (exact origins the token may be used from), `expires_in` (seconds, required, at
    most COGVIDEO_SCOPED_TOKEN_MAX_HOURS), `rate_per_minute`, `job_quota`, `name`."""
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": ["Expected a JSON object."]})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(body) - {"name", "actions", "origins", "expires_in", "rate_per_minute", "job_quota"})
    if unknown:
        errors["non_field_errors"] = [f"Unknown fields: {', '.join(unknown)}."]
    name = body.get("name", "browser")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64:
        errors["name"] = ["A name of 1 to 64 characters."]
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not all(isinstance(a, str) for a in actions):
        errors["actions"] = [f"A non-empty list of: {', '.join(ACTIONS)}."]
    elif set(actions) - set(ACTIONS):
        errors["actions"] = [
            f"Unknown actions: {', '.join(sorted(set(actions) - set(ACTIONS)))}; use {', '.join(ACTIONS)}."
        ]
    origins = body.get("origins")
    normalized: list[str] = []
    if not isinstance(origins, list) or not 1 <= len(origins) <= MAX_ORIGINS:
        errors["origins"] = [f"A list of 1 to {MAX_ORIGINS} origins (scheme://host[:port])."]
    else:
        problems = []
        for origin in origins:
            try:
                normalized.append(normalize_origin(origin))
            except ValidationError as error:
                problems.extend(error.messages)
        if problems:
            errors["origins"] = problems
    max_seconds = settings.COGVIDEO_SCOPED_TOKEN_MAX_HOURS * 3600
    expires_in = _bounded_int(body, "expires_in", None, 60, max_seconds, errors)
    rate = _bounded_int(body, "rate_per_minute", DEFAULT_RATE_PER_MINUTE, 1, MAX_RATE_PER_MINUTE, errors)
    quota = _bounded_int(body, "job_quota", DEFAULT_JOB_QUOTA, 0, MAX_JOB_QUOTA, errors)
    if errors:
        raise ValidationError(errors)
    return ScopedTokenSpec(
        name=name.strip(),
        actions=tuple(a for a in ACTIONS if a in actions),
        origins=tuple(dict.fromkeys(normalized)),
        lifetime=timedelta(seconds=expires_in),
        rate_per_minute=rate,
        job_quota=quota,
    )
