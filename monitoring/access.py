"""Who may read /metrics: a bearer token, client addresses, or both (COGVIDEO_METRICS_TOKEN,
COGVIDEO_METRICS_ALLOWED_IPS).

- token set, no addresses: any client presenting `Authorization: Bearer <token>`;
- addresses set, no token: only clients from those addresses or networks;
- both set: both must match;
- neither set: loopback clients only (127.0.0.1, ::1), so a fresh install exposes nothing.

A request that came through a reverse proxy (it carries X-Forwarded-For, Forwarded or
X-Real-IP) is never a loopback client, even though its TCP peer is the proxy on 127.0.0.1:
with neither setting it is refused (403), so a deployment behind nginx needs the token.
The client address of a forwarded request is the last X-Forwarded-For entry (the one the
proxy appended) only when COGVIDEO_TRUST_X_FORWARDED_FOR is on and the peer is one of
COGVIDEO_TRUSTED_PROXIES; otherwise a forwarded request has no address an allow-list could
match (its sender could have written any header), and only the token can let it in.
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
    return _networks(configured, "COGVIDEO_METRICS_ALLOWED_IPS")


def _presented_token(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in {"bearer", "token"} else ""


FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _address(text: str):
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


def _networks(items, name: str):
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network ({exc})") from exc
    return networks


def client_address(request):
    """The client's address as far as it can be known: the TCP peer, or for a forwarded
    request the address a trusted proxy appended (None when it cannot be known)."""
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if not any(request.META.get(header) for header in FORWARDING_HEADERS):
        return peer
    proxies = _networks(settings.COGVIDEO_TRUSTED_PROXIES, "COGVIDEO_TRUSTED_PROXIES")
    trusted = settings.COGVIDEO_TRUST_X_FORWARDED_FOR and peer is not None and any(peer in n for n in proxies)
    if not trusted:
        return None
    return _address(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1])


def check_metrics_access(request) -> Denied | None:
    """None when the request may read the metrics, else why not (401 or 403)."""
    networks = allowed_networks()
    if networks:
        address = client_address(request)
        if address is None or not any(address in network for network in networks):
            forwarded = any(request.META.get(header) for header in FORWARDING_HEADERS)
            hint = " Behind a reverse proxy, set COGVIDEO_METRICS_TOKEN." if forwarded else ""
            return Denied(403, "Metrics are not available from this address." + hint)
    expected = settings.COGVIDEO_METRICS_TOKEN
    if expected and not hmac.compare_digest(_presented_token(request).encode(), expected.encode()):
        return Denied(401, "A valid metrics bearer token is required.")
    return None
