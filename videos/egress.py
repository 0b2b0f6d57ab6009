"""The one way out: every server-side request to a URL goes through this module (webhooks, a
job's callback_url, image_url, anything later), so the rules hold by construction instead of
by each caller remembering a check. tests/test_egress_only.py fails on any other use of an
HTTP client in the project's server code.

    check_url(url)           the creation-time check: http(s), no credentials, the host
                             resolved once and every address public (or allowed by the operator)
    request(method, url, …)  check_url, then connect to an address that was checked: the
                             connection is pinned, so a name that resolves elsewhere a second
                             later (DNS rebinding) cannot move it; the Host header and the TLS
                             server name stay the URL's. No redirects, a size cap and a
                             deadline on the whole exchange.
    fetch(url, …)            GET whose body must arrive whole and with a 2xx (image_url)

An address is public when `ipaddress` calls it global and it is in none of the ranges it
calls unspecified, loopback, link-local, multicast, private or reserved, nor in shared
address space (100.64.0.0/10). An IPv6 address that carries an IPv4 one (IPv4-mapped,
IPv4-compatible, IPv4-translated, NAT64, 6to4, Teredo, ISATAP) is judged by that IPv4
address: `[::127.0.0.1]` is loopback. The operator's allow-list (COGVIDEO_ALLOW_PRIVATE_CALLBACKS,
COGVIDEO_EGRESS_ALLOWED_NETWORKS) is applied here and nowhere else.

Every refusal is an EgressError naming its rule (`exc.rule`) with a message that says why.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: a site's own translators
ISATAP_INTERFACE_IDS = (0x00005EFE, 0x02005EFE)  # RFC 5214: ::0:5efe:a.b.c.d in the interface id

ALLOW_HINT = (
    "the operator can allow private addresses with COGVIDEO_ALLOW_PRIVATE_CALLBACKS or COGVIDEO_EGRESS_ALLOWED_NETWORKS"
)


class EgressError(Exception):
    """A request that was not made or not finished. `rule` says which rule stopped it."""

    def __init__(self, rule: str, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.rule = rule
        self.status_code = status_code


class EgressRefused(EgressError):
    """Refused by policy: url, scheme, credentials, address, redirect."""


class EgressFailed(EgressError):
    """Tried and failed or cut off: resolve, network, time, size, status."""


# --- which addresses are public ------------------------------------------------------------------


def carried_ipv4(ip: IPAddress) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of the form."""
    if ip.version == 4:
        return []
    value = int(ip)
    low32 = ipaddress.IPv4Address(value & 0xFFFF_FFFF)
    if ip.ipv4_mapped is not None:
        return [("IPv4-mapped", ip.ipv4_mapped)]
    if value >> 32 == 0xFFFF_0000:
        return [("IPv4-translated", low32)]  # ::ffff:0:a.b.c.d (RFC 2765)
    if value >> 32 == 0 and value > 1:
        return [("IPv4-compatible", low32)]  # ::a.b.c.d; :: and ::1 are judged as themselves
    if ip in NAT64_WELL_KNOWN:
        return [("NAT64", low32)]
    if ip.sixtofour is not None:
        return [("6to4", ip.sixtofour)]
    if ip.teredo is not None:
        server, client = ip.teredo
        return [("Teredo server", server), ("Teredo client", client)]
    if (value >> 32) & 0xFFFF_FFFF in ISATAP_INTERFACE_IDS:
        return [("ISATAP", low32)]
    return []


# Embedded forms that are only a way of writing their IPv4 address: judged by it alone.
JUDGED_BY_IPV4_ONLY = {"IPv4-mapped", "IPv4-translated", "IPv4-compatible", "NAT64"}

RANGES = (
    ("the unspecified address", lambda ip: ip.is_unspecified),
    ("a loopback address", lambda ip: ip.is_loopback),
    ("a link-local address", lambda ip: ip.is_link_local),
    ("a multicast address", lambda ip: ip.is_multicast),
    ("in shared address space (100.64.0.0/10)", lambda ip: ip.version == 4 and ip in SHARED_ADDRESS_SPACE),
    ("a local-use NAT64 address (64:ff9b:1::/48)", lambda ip: ip.version == 6 and ip in NAT64_LOCAL_USE),
    ("a private address", lambda ip: ip.is_private),
    ("a reserved address", lambda ip: ip.is_reserved),
    ("not globally routable", lambda ip: not ip.is_global),
)


def address_problem(ip: IPAddress) -> str | None:
    """None for a public address; otherwise what it is, in words ("a loopback address")."""
    carried = carried_ipv4(ip)
    for form, ipv4 in carried:
        problem = address_problem(ipv4)
        if problem:
            return f"an {form} address carrying {ipv4}, which is {problem}"
    if carried and carried[0][0] in JUDGED_BY_IPV4_ONLY:
        return None
    for words, test in RANGES:
        if test(ip):
            return words
    return None


# --- the operator's policy -----------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """allow_private: any address (a test or all-internal installation). allowed_networks:
    these networks are allowed although not public (e.g. a CMS on the LAN)."""

    allow_private: bool = False
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            allow_private=bool(settings.COGVIDEO_ALLOW_PRIVATE_CALLBACKS),
            allowed_networks=_parse_networks(tuple(settings.COGVIDEO_EGRESS_ALLOWED_NETWORKS)),
        )

    def problem(self, ip: IPAddress) -> str | None:
        if self.allow_private:
            return None
        candidates = [ip] + ([ip.ipv4_mapped] if ip.version == 6 and ip.ipv4_mapped else [])
        for network in self.allowed_networks:
            if any(c.version == network.version and c in network for c in candidates):
                return None
        return address_problem(ip)


# URLs the operator configured (a registered CMS site's webhook URL): any address, still
# pinned, bounded and without redirects.
OPERATOR_CONFIGURED = Policy(allow_private=True)


@lru_cache(maxsize=8)
def _parse_networks(entries: tuple[str, ...]) -> tuple:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"COGVIDEO_EGRESS_ALLOWED_NETWORKS: {entry!r} is not an address or network (10.0.0.0/8)."
            ) from None
    return tuple(networks)


# --- checking a URL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A checked URL: where the request may connect (every address passed the policy)."""

    url: httpx.URL
    host: str  # ASCII (IDNA) host name or address literal, as sent in Host and TLS SNI
    port: int
    addresses: tuple[IPAddress, ...]


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (numeric spellings like 2130706433 included)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[IPAddress, None] = {}
    for info in infos:
        seen.setdefault(ipaddress.ip_address(info[4][0]), None)
    return list(seen)


def check_url(url: str, *, policy: Policy | None = None, field: str = "url") -> Target:
    """Refuse unless `url` is http(s) without credentials and every address of its host is
    allowed; resolve the host once and return what was checked."""
    policy = policy or Policy.from_settings()
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise EgressRefused("url", f"{field} contains white space or control characters.")
    try:
        parsed = httpx.URL(url)
        port = urlsplit(url).port
    except (httpx.InvalidURL, ValueError) as exc:
        raise EgressRefused("url", f"{field} is not a valid URL ({exc}).") from None
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise EgressRefused("scheme", f"{field} must be an http or https URL with a host.")
    if parsed.userinfo:
        raise EgressRefused("credentials", f"{field} must not contain credentials.")
    if port == 0:
        raise EgressRefused("url", f"{field} has port 0.")
    port = port or (443 if parsed.scheme == "https" else 80)
    host = parsed.raw_host.decode("ascii")
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        raise EgressFailed("resolve", f"{field} host {host!r} cannot be resolved.") from None
    if not addresses:
        raise EgressFailed("resolve", f"{field} host {host!r} has no address.")
    for address in addresses:
        problem = policy.problem(address)
        if problem:
            shown = f"{host!r} resolves to {address}, " if host.strip("[]") != str(address) else f"{address} is "
            raise EgressRefused("address", f"{field} is refused: {shown}{problem}; {ALLOW_HINT}.")
    return Target(url=parsed, host=host, port=port, addresses=tuple(addresses))


# --- making the request ----------------------------------------------------------------------------


class PinnedTransport(httpx.BaseTransport):
    """Sends a request for the checked target to the checked addresses, never to a new lookup
    of the name: the URL's host is replaced by the address, the Host header (set by httpx
    from the original URL) is kept, and TLS gets the host name for SNI and certificate checks."""

    def __init__(self, target: Target, *, verify=True, deadline: float):
        self.target = target
        self.deadline = deadline
        self._inner = httpx.HTTPTransport(verify=verify, trust_env=False, retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if (request.url.raw_host, request.url.port or self.target.port) != (self.target.url.raw_host, self.target.port):
            raise EgressRefused("redirect", f"{request.url} is not the checked URL's origin.")
        extensions = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = self.target.host
        error: httpx.ConnectError | None = None
        for address in self.target.addresses:
            if time.monotonic() > self.deadline:
                break
            pinned = httpx.Request(
                request.method, request.url.copy_with(host=str(address)), headers=request.headers,
                stream=request.stream, extensions=extensions,
            )  # fmt: skip
            try:
                return self._inner.handle_request(pinned)
            except httpx.ConnectError as exc:  # nothing was sent: the next address may answer
                error = exc
        raise error or httpx.ConnectTimeout("no address connected in time")

    def close(self) -> None:
        self._inner.close()


@dataclass
class Response:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    address: str  # the address the request was sent to
    truncated: bool = False  # the body was longer than max_bytes and cut (truncate=True)
    encoding: str = field(default="utf-8")

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")


def request(
    method: str, url: str, *, max_bytes: int, timeout: float, content: bytes | None = None,
    headers: dict[str, str] | None = None, policy: Policy | None = None, truncate: bool = False,
    verify=True, field: str = "url",
) -> Response:  # fmt: skip
    """One request through the rules: checked and pinned, no redirects (a 3xx is refused),
    at most `max_bytes` of body (more: refused, or cut when `truncate`), done within `timeout`
    seconds in all (a slow drip is cut off too)."""
    target = check_url(url, policy=policy, field=field)
    deadline = time.monotonic() + timeout
    transport = PinnedTransport(target, verify=verify, deadline=deadline)
    sent_headers = {"accept-encoding": "identity", **(headers or {})}
    body = bytearray()
    truncated = False
    try:
        with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False) as client:
            with client.stream(method, target.url, content=content, headers=sent_headers) as response:
                code = response.status_code
                if response.has_redirect_location:
                    location = response.headers.get("location", "")
                    raise EgressRefused(
                        "redirect", f"{field} answered HTTP {code} redirecting to {location[:200]!r}; redirects are not followed.",
                        status_code=code,
                    )  # fmt: skip
                declared = response.headers.get("content-length", "")
                if not truncate and declared.isdigit() and int(declared) > max_bytes:
                    raise _too_large(field, max_bytes, code)
                for chunk in response.iter_bytes():
                    if len(body) + len(chunk) > max_bytes:
                        if not truncate:
                            raise _too_large(field, max_bytes, code)
                        body += chunk[: max_bytes - len(body)]
                        truncated = True
                        break
                    body += chunk
                    if time.monotonic() > deadline:
                        raise _too_slow(field, timeout, code)
                peer = response.extensions.get("network_stream")
                address = _peer(peer) or str(target.addresses[0])
                encoding = response.charset_encoding or "utf-8"
    except httpx.TimeoutException as exc:
        raise _too_slow(field, timeout, None, exc) from None
    except httpx.HTTPError as exc:
        raise EgressFailed("network", f"{type(exc).__name__}: {exc}") from None
    return Response(code, response.headers, bytes(body), str(target.url), address, truncated, encoding)


def fetch(url: str, *, max_bytes: int, timeout: float, policy: Policy | None = None, verify=True,
          field: str = "url") -> Response:  # fmt: skip
    """GET a body that must arrive whole: a non-2xx answer is an error too."""
    response = request("GET", url, max_bytes=max_bytes, timeout=timeout, policy=policy, verify=verify, field=field)
    if not 200 <= response.status_code < 300:
        raise EgressFailed("status", f"{field} answered HTTP {response.status_code}.", status_code=response.status_code)
    return response


def _too_large(field: str, max_bytes: int, code: int | None) -> EgressFailed:
    return EgressFailed("size", f"{field} answered with more than {max_bytes} bytes; cut off.", status_code=code)


def _too_slow(field: str, timeout: float, code: int | None, exc: Exception | None = None) -> EgressFailed:
    why = f" ({type(exc).__name__})" if exc else ""
    return EgressFailed("time", f"{field} did not finish within {timeout:g} s{why}; cut off.", status_code=code)


def _peer(stream) -> str:
    try:
        return str(stream.get_extra_info("server_addr")[0])
    except Exception:  # noqa: BLE001 - only for the log line; the request itself succeeded
        return ""
