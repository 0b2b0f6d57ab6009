"""The egress rules through the real httpx stack against local listeners: which addresses are
refused, that the connection goes to the address that was checked (Host header and TLS server
name kept), no redirects, and the size and time caps.

Name resolution is substituted only for the test host names below (a rebinding DNS server
in a function); every other name resolves as usual."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from videos import egress

EMBEDDED_LOOPBACK = [
    "::127.0.0.1",  # IPv4-compatible
    "::7f00:1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:0:7f00:1",  # IPv4-translated
    "64:ff9b::7f00:1",  # NAT64
    "2002:7f00:1::",  # 6to4
    "2001:0:7f00:1::1",  # Teredo, server 127.0.0.1
    "2001:db8::5efe:7f00:1",  # ISATAP interface id
]
EMBEDDED_PRIVATE = ["64:ff9b::a00:1", "2002:a9fe:a9fe::", "::ffff:169.254.169.254", "64:ff9b::6440:1"]


class Listener:
    """A local HTTP endpoint; `respond(handler)` writes the answer, every request is recorded."""

    def __init__(self, respond=None, host="127.0.0.1", tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append(
                    {"path": self.path, "host": self.headers.get("Host"), "body": self.rfile.read(length)}
                )
                (respond or ok)(self)

            do_GET = do_POST = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def ok(handler, body=b"hello"):
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def listeners():
    made: list[Listener] = []

    def make(respond=None, **kwargs) -> Listener:
        made.append(Listener(respond, **kwargs))
        return made[-1]

    yield make
    for listener in made:
        listener.close()


@pytest.fixture
def names(monkeypatch):
    """names["x.test"] = [first answer, later answers...]: what getaddrinfo says for a test
    name, one entry per lookup (the last repeats). Records lookups and connections."""
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []
    connects: list[tuple] = []
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            lookups.append(host)
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    def create_connection(address, *args, **kwargs):
        connects.append(address)
        if address[0] == PUBLIC:  # never leave the machine: a public address refuses here
            raise ConnectionRefusedError("test: public addresses are not dialled")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return _Names(answers, lookups, connects)


class _Names(dict):
    def __init__(self, answers, lookups, connects):
        super().__init__()
        self.answers, self.lookups, self.connects = answers, lookups, connects

    def __setitem__(self, key, value):
        self.answers[key] = list(value)


PUBLIC = "93.184.216.34"
LOOPBACK_ONLY = egress.Policy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))


# --- which addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize("address", EMBEDDED_LOOPBACK + EMBEDDED_PRIVATE)
def test_embedded_ipv4_forms_are_judged_by_the_ipv4_they_carry(address):
    problem = egress.address_problem(ipaddress.ip_address(address))
    assert problem and "carrying" in problem, problem


@pytest.mark.parametrize(
    "address,words",
    [
        ("127.0.0.1", "loopback"), ("::1", "loopback"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
        ("10.1.2.3", "private"), ("192.168.1.1", "private"), ("fd00:ec2::254", "private"),
        ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"), ("100.64.0.1", "shared address space"), ("240.0.0.1", "a "),
        ("64:ff9b:1::1", "local-use NAT64"), ("2001:db8::1", "private"), ("192.0.2.1", "private"),
    ],
)  # fmt: skip
def test_special_ranges_are_refused_by_name(address, words):
    assert words in egress.address_problem(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::"]
)
def test_public_addresses_pass(address):
    assert egress.address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url,rule",
    [
        ("ftp://example.com/x", "scheme"), ("http://user:pw@example.com/", "credentials"),
        ("http://exa mple.com/", "url"), ("http://[::1", "url"), ("http://example.com:99999/", "url"),
        ("http://2130706433/", "address"), ("http://0x7f.1/", "address"), ("http://0177.0.0.1/", "url"),
        ("http://localhost/", "address"), ("http://[::127.0.0.1]:9001/cb", "address"),
        ("http://[::7f00:1]:9001/cb", "address"), ("http://[64:ff9b::7f00:1]:9001/cb", "address"),
        ("http://[2002:7f00:1::]:9001/cb", "address"), ("http://[2001:0:7f00:1::1]/", "address"),
        ("http://nothing-here.invalid/", "resolve"),
    ],
)  # fmt: skip
def test_check_url_names_the_rule_that_refused(url, rule):
    with pytest.raises(egress.EgressError) as refused:
        egress.check_url(url, policy=egress.Policy(), field="image_url")
    assert refused.value.rule == rule and "image_url" in str(refused.value)


def test_the_operators_allow_list_is_applied_here(settings, listeners):
    listener = listeners()
    settings.COGVIDEO_ALLOW_PRIVATE_CALLBACKS = False
    settings.COGVIDEO_EGRESS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    with pytest.raises(egress.EgressRefused, match="loopback"):
        egress.fetch(listener.url + "/a", max_bytes=100, timeout=5)
    settings.COGVIDEO_EGRESS_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.0/8"]
    assert egress.fetch(listener.url + "/b", max_bytes=100, timeout=5).content == b"hello"
    settings.COGVIDEO_EGRESS_ALLOWED_NETWORKS = []
    settings.COGVIDEO_ALLOW_PRIVATE_CALLBACKS = True
    assert egress.fetch(listener.url + "/c", max_bytes=100, timeout=5).status_code == 200
    assert [r["path"] for r in listener.requests] == ["/b", "/c"]


# --- pinning ---------------------------------------------------------------------------------------


def test_rebinding_cannot_move_the_connection_to_loopback(names, listeners):
    listener = listeners()
    names["rebind.test"] = [PUBLIC, "127.0.0.1"]  # public when checked, loopback from then on
    with pytest.raises(egress.EgressFailed) as failed:
        egress.request("POST", f"http://rebind.test:{listener.port}/hook", content=b"{}", max_bytes=100, timeout=5)
    assert failed.value.rule == "network"
    assert names.lookups == ["rebind.test"], "resolved once"
    assert names.connects == [(PUBLIC, listener.port)], "connected to the address that was checked"
    assert listener.requests == []


def test_the_pinned_request_keeps_the_host_header(names, listeners):
    listener = listeners()
    names["pin.test"] = ["127.0.0.1", "127.0.0.2"]
    response = egress.fetch(f"http://pin.test:{listener.port}/x?y=1", max_bytes=100, timeout=5, policy=LOOPBACK_ONLY)
    assert response.content == b"hello" and response.address == "127.0.0.1"
    assert listener.requests == [{"path": "/x?y=1", "host": f"pin.test:{listener.port}", "body": b""}]
    assert names.lookups == ["pin.test"]


def test_tls_gets_the_host_name_for_sni_and_the_certificate(names, listeners, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=pin.test",
         "-addext", "subjectAltName=DNS:pin.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_names: list[str | None] = []
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    server_tls.sni_callback = lambda sock, name, ctx: server_names.append(name)
    listener = listeners(tls=server_tls)
    names["pin.test"] = ["127.0.0.1"]
    client_tls = ssl.create_default_context(cafile=str(cert))  # checks the name against the certificate
    response = egress.fetch(
        f"https://pin.test:{listener.port}/t", max_bytes=100, timeout=5, policy=LOOPBACK_ONLY, verify=client_tls
    )
    assert response.content == b"hello"
    assert server_names == ["pin.test"] and listener.requests[0]["host"] == f"pin.test:{listener.port}"


# --- redirects, size, time -----------------------------------------------------------------------


def test_a_redirect_to_loopback_is_not_followed(listeners):
    inside = listeners()

    def redirect(handler):
        handler.send_response(302)
        handler.send_header("Location", inside.url + "/secret")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    outside = listeners(redirect, host="127.0.0.2")
    allowed = egress.Policy(allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),))
    with pytest.raises(egress.EgressRefused) as refused:
        egress.fetch(outside.url + "/start", max_bytes=100, timeout=5, policy=allowed)
    assert refused.value.rule == "redirect" and refused.value.status_code == 302
    assert "/secret" in str(refused.value)
    assert len(outside.requests) == 1 and inside.requests == []


def big(handler, size=1 << 20, declare=True):
    handler.send_response(200)
    if declare:
        handler.send_header("Content-Length", str(size))
    handler.end_headers()
    try:
        for _ in range(size // 4096):
            handler.wfile.write(b"x" * 4096)
    except OSError:
        pass  # the client hung up, as it should


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "no-length"])
def test_an_oversized_answer_is_cut_off(listeners, declare):
    listener = listeners(lambda handler: big(handler, declare=declare))
    with pytest.raises(egress.EgressFailed) as failed:
        egress.fetch(listener.url, max_bytes=10_000, timeout=10, policy=LOOPBACK_ONLY)
    assert failed.value.rule == "size" and "10000 bytes" in str(failed.value)


def test_truncate_keeps_the_first_bytes(listeners):
    listener = listeners(big)
    response = egress.request(
        "POST", listener.url, content=b"{}", max_bytes=500, timeout=10, truncate=True, policy=LOOPBACK_ONLY
    )
    assert response.truncated and response.content == b"x" * 500


def drip(handler):
    handler.send_response(200)
    handler.end_headers()
    try:
        while True:  # a byte at a time, each well within the read timeout
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)
    except OSError:
        pass


def stall(handler):
    handler.send_response(200)
    handler.send_header("Content-Length", "10")
    handler.end_headers()
    handler.wfile.flush()
    time.sleep(3)


@pytest.mark.parametrize("respond", [drip, stall])
def test_a_slow_answer_is_cut_off(listeners, respond):
    listener = listeners(respond)
    with pytest.raises(egress.EgressFailed) as failed:
        egress.fetch(listener.url, max_bytes=1 << 20, timeout=0.5, policy=LOOPBACK_ONLY)
    assert failed.value.rule == "time" and "0.5 s" in str(failed.value)
