"""Headless Chromium (Debian's, driven by Playwright) and a static page server on another
origin, for the JavaScript client tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

JS_CLIENT = Path(__file__).resolve().parents[2] / "clients" / "js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

ESM_PAGE = """<!doctype html><meta charset="utf-8"><title>esm</title>
<script type="module">
import * as CogVideo from './video-generator.js';
window.CogVideo = CogVideo;
window.clientReady = true;
</script>"""

# The plain-script build, used the way the article's readers use their class: a global.
GLOBAL_PAGE = """<!doctype html><meta charset="utf-8"><title>global</title>
<script src="./video-generator.global.js"></script>
<script>window.clientReady = typeof VideoGenerator === 'function';</script>"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class PageServer:
    """Serves the test pages and the client files (the ES module as committed, the global
    build made from it now) from http://localhost:PORT (the API runs on 127.0.0.1: another
    host, so another origin)."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(JS_CLIENT / "src" / "video-generator.js", root / "video-generator.js")
        subprocess.run(
            [sys.executable, str(JS_CLIENT / "build.py"), "--out", str(root)], check=True, capture_output=True
        )
        (root / "esm.html").write_text(ESM_PAGE)
        (root / "global.html").write_text(GLOBAL_PAGE)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
        self.origin = f"http://localhost:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def open_page(chromium, url: str):
    """A fresh context and page on ``url`` once the client script has loaded. The page
    keeps uncaught errors in ``page.errors`` and requests it sent in ``page.sent``."""
    context = chromium.new_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(error))
    page.sent = []
    page.on("request", lambda r: page.sent.append((r.method, r.url, r.headers)))
    page.goto(url)
    page.wait_for_function("window.clientReady === true")
    return context, page
