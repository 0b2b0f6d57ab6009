"""Who may read /metrics: a bearer token, client addresses, or both (COGVIDEO_METRICS_TOKEN,
COGVIDEO_METRICS_ALLOWED_IPS).

- token set, no addresses: any client presenting `Authorization: Bearer <token>`;
- addresses set, no token: only clients from those addresses or networks;
- both set: both must match;
- neither set: loopback clients only (127.0.0.1, ::1), so a fresh install exposes nothing.

The address is REMOTE_ADDR, the peer that connected: behind a reverse proxy on the same host
every request comes from 127.0.0.1, so set a token there (see docs/MONITORING.md).
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LOOPBACK = ["127.0.0.0/8", "::1/128"]


@dataclass
class Denied:
    status: int
    message: str


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    configured = list(settings.COGVIDEO_METRICS_ALLOWED_IPS)
    if not configured and not settings.COGVIDEO_METRICS_TOKEN:
        configured = LOOPBACK
    networks = []
    for item in configured:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"COGVIDEO_METRICS_ALLOWED_IPS: {item!r} is not an IP address or network ({exc})"
            ) from exc
    return networks


def _presented_token(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in {"bearer", "token"} else ""


def check_metrics_access(request) -> Denied | None:
    """None when the request may read the metrics, else why not (401 or 403)."""
    networks = allowed_networks()
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return Denied(403, "Metrics are not available from this address.")
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        if not any(address in network for network in networks):
            return Denied(403, "Metrics are not available from this address.")
    expected = settings.COGVIDEO_METRICS_TOKEN
    if expected and not hmac.compare_digest(_presented_token(request).encode(), expected.encode()):
        return Denied(401, "A valid metrics bearer token is required.")
    return None
