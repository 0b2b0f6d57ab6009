"""Log formatting for operators: JSON lines or plain text (COGVIDEO_LOG_FORMAT), and a filter
that scrubs secrets from every record before any handler writes it.

Secrets are kept out of log calls in the first place (request lines carry the path without
the query string, job lines carry ids and numbers only); the filter is the second line of
defence for messages written by libraries and for tracebacks.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from videos.isotime import iso_z

REDACTED = "[redacted]"

# Attributes every LogRecord has; anything else on a record came from `extra=` and is data.
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

_PATTERNS = [
    # Authorization header values: "Bearer <token>", "Token <token>", "Basic <base64>".
    re.compile(r"(?i)\b(bearer|token|basic)(\s+)([A-Za-z0-9._~+/=-]{8,})"),
    # key=value / "key": "value" pairs whose key names a secret (query strings, dict reprs, JSON).
    re.compile(
        r"(?i)([\"']?(?:[a-z_]*(?:token|secret|password|passwd|api_?key|signature|authorization))[\"']?)"
        r"(\s*[:=]\s*)([\"']?)([^\s\"'&,;}]{4,})"
    ),
    # A DRF API token on its own: 40 hex characters.
    re.compile(r"(?<![0-9a-fA-F])([0-9a-f]{40})(?![0-9a-fA-F])"),
    # Webhook signing secrets ("whsec_" + base64).
    re.compile(r"(whsec_[A-Za-z0-9+/=]{8,})"),
]


def redact(text: str) -> str:
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{REDACTED}", text)
    text = _PATTERNS[2].sub(REDACTED, text)
    text = _PATTERNS[3].sub(REDACTED, text)
    for secret in _configured_secrets():
        text = text.replace(secret, REDACTED)
    return text


def _configured_secrets() -> list[str]:
    """Secrets from settings that must never be printed verbatim, whatever their shape."""
    try:
        from django.conf import settings

        values = [getattr(settings, "SECRET_KEY", ""), getattr(settings, "COGVIDEO_METRICS_TOKEN", "")]
    except Exception:  # noqa: BLE001 - logging before settings are ready must still work
        return []
    return [value for value in values if value and len(value) >= 8]


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return value


class RedactSecrets(logging.Filter):
    """Formats the message once, scrubbed, so no handler or formatter sees the raw text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, _redact_value(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, then the record's structured
    fields (`extra={"fields": {...}}` is flattened into the top level)."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict = {
            "ts": iso_z(datetime.fromtimestamp(record.created, UTC), timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD_ATTRS or key.startswith("_"):
                continue
            if key == "fields" and isinstance(value, dict):
                for name, item in value.items():
                    body.setdefault(name, item)
            else:
                body.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            body["exc"] = record.exc_text
        if record.stack_info:
            body["stack"] = record.stack_info
        return json.dumps(body, default=str, ensure_ascii=False)
