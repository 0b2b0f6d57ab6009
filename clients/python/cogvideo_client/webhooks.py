"""Check the signed webhooks the service sends when a job finishes (Standard Webhooks).

    from cogvideo_client import verify_webhook, WebhookVerificationError

    try:
        event = verify_webhook(request.body, request.headers, secret="whsec_...")
    except WebhookVerificationError:
        return 400
    if event["type"] == "video.completed": ...

The service signs ``"{webhook-id}.{webhook-timestamp}.{body}"`` with HMAC-SHA256 keyed by
the site's secret (``whsec_`` + base64 of the key bytes; any other secret is used as its
UTF-8 bytes) and sends ``webhook-signature: v1,<base64>``; several space-separated
signatures are allowed (e.g. while a secret is being rotated).  Pass the body exactly as
received: parsing and re-serialising JSON changes the bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from .errors import CogVideoError

#: How far a webhook's timestamp may be from now, in seconds (Standard Webhooks: 5 minutes).
DEFAULT_TOLERANCE = 300


class WebhookVerificationError(CogVideoError):
    """The webhook is not from the service, was changed on the way, or is too old (a replay)."""


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError):
            pass  # the service does the same: not base64, so the text itself is the key
    return secret.encode()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing header {name}")


def verify_webhook(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str | bytes,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> dict[str, Any]:
    """Return the event (``{"type", "timestamp", "data"}``) if the webhook is genuine.

    Raises ``WebhookVerificationError`` for a missing header, a timestamp more than
    ``tolerance`` seconds from ``now``, or no signature that matches (compared in constant
    time).  ``headers`` may be any mapping; names are matched case-insensitively.
    """
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    message_id = _header(headers, "webhook-id")
    timestamp_text = _header(headers, "webhook-timestamp")
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        raise WebhookVerificationError(f"bad webhook-timestamp {timestamp_text!r}") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {current - timestamp:+.0f}s from now (more than {tolerance:g}s): too old or replayed"
        )
    signed = f"{message_id}.{timestamp_text}.".encode() + body
    expected = base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest())
    found = False
    for candidate in _header(headers, "webhook-signature").split():
        version, _, signature = candidate.partition(",")
        # Compare every candidate (no early exit), so timing says nothing about which matched.
        if version == "v1" and hmac.compare_digest(expected, signature.encode()):
            found = True
    if not found:
        raise WebhookVerificationError("no webhook-signature matches: wrong secret, or the body was changed")
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the signed body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("the signed body is not a JSON object")
    return event
