"""A real TCP proxy that can lose answers, for retry tests.

It forwards one HTTP request per client connection to the upstream server
(asking both sides for ``Connection: close``), reads the whole answer, and
then, for the requests a rule picks, misbehaves:

* ``drop``: closes the client's connection without sending a byte, after the
  server has fully handled the request (the classic lost answer);
* ``cut`` after N body bytes: sends the headers and the first N bytes of the
  body, then closes (a download that dies half way).

Every request it saw is kept in ``requests`` (method, path, headers) and every
answer it dropped in ``dropped`` (status line and body), so a test can prove
what really reached the server.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    action: str = "forward"


@dataclass
class Rule:
    method: str
    path_prefix: str
    action: str  # "drop" or "cut"
    times: int = 1
    cut_after: int = 0


@dataclass
class LostAnswer:
    status_line: str
    headers: dict[str, str]
    body: bytes


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _parse_headers(lines: list[bytes]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


@dataclass
class TcpProxy:
    upstream_host: str
    upstream_port: int
    rules: list[Rule] = field(default_factory=list)
    requests: list[SeenRequest] = field(default_factory=list)
    dropped: list[LostAnswer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def add_rule(self, method: str, path_prefix: str, action: str, times: int = 1, cut_after: int = 0) -> None:
        with self._lock:
            self.rules.append(Rule(method, path_prefix, action, times, cut_after))

    def requests_to(self, method: str, path_prefix: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped = True
        self._server.close()

    def _accept_loop(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _pick_rule(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.times > 0 and method == rule.method and path.startswith(rule.path_prefix):
                    rule.times -= 1
                    return rule
        return None

    def _handle(self, client: socket.socket) -> None:
        with client:
            head, rest = _read_head(client)
            if not head:
                return
            request_line, *header_lines = head.split(b"\r\n")
            method, path, _version = request_line.decode("latin-1").split(" ", 2)
            headers = _parse_headers(header_lines)
            length = int(headers.get("content-length") or 0)
            body = rest
            while len(body) < length:
                chunk = client.recv(65536)
                if not chunk:
                    break
                body += chunk
            rule = self._pick_rule(method, path)
            seen = SeenRequest(method, path, headers, rule.action if rule else "forward")
            with self._lock:
                self.requests.append(seen)

            kept = [line for line in header_lines if not line.lower().startswith(b"connection:")]
            upstream_request = b"\r\n".join([request_line, *kept, b"Connection: close"]) + b"\r\n\r\n" + body
            with socket.create_connection((self.upstream_host, self.upstream_port)) as upstream:
                upstream.sendall(upstream_request)
                answer = b""
                while True:
                    chunk = upstream.recv(65536)
                    if not chunk:
                        break
                    answer += chunk

            if rule is None:
                client.sendall(answer)
                return
            answer_head, _, answer_body = answer.partition(b"\r\n\r\n")
            status_line, *answer_header_lines = answer_head.split(b"\r\n")
            if rule.action == "drop":
                with self._lock:
                    self.dropped.append(
                        LostAnswer(status_line.decode("latin-1"), _parse_headers(answer_header_lines), answer_body)
                    )
                # Closing now (and resetting, not lingering) is what a crashed
                # load balancer or a cut cable looks like to the client.
                client.shutdown(socket.SHUT_RDWR)
                return
            if rule.action == "cut":
                client.sendall(answer_head + b"\r\n\r\n" + answer_body[: rule.cut_after])
                client.shutdown(socket.SHUT_RDWR)
                return
            raise ValueError(f"unknown proxy action {rule.action!r}")
