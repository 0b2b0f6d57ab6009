"""One canonical JSON text per value, for digests that must not depend on key order or
spacing: idempotency fingerprints, reuse keys and batch row keys."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, text kept as text; values JSON cannot hold become str."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def digest(value: Any) -> str:
    """SHA-256 (hex) of the value's canonical JSON."""
    return sha256_hex(canonical_json(value))
