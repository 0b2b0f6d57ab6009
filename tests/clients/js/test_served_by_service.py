"""The service serves the JavaScript client at the URLs it always had: the ES module as written
in clients/js/src and the global build that clients/js/build.py makes in clients/js/dist."""

from __future__ import annotations

import subprocess
import sys

from django.core import checks

from ..browser import JS_CLIENT


def test_es_module_and_global_build_are_served_under_static(client):
    subprocess.run([sys.executable, str(JS_CLIENT / "build.py")], check=True, capture_output=True)
    esm = client.get("/static/cms_integration/video-generator.js")
    assert esm.status_code == 200 and esm["Content-Type"].startswith("text/javascript")
    assert b"".join(esm.streaming_content) == (JS_CLIENT / "src" / "video-generator.js").read_bytes()
    plain = client.get("/static/cms_integration/video-generator.global.js")
    assert plain.status_code == 200
    assert b"".join(plain.streaming_content).startswith(b"/* GENERATED from src/video-generator.js")
    assert not [m for m in checks.run_checks() if m.id == "cms_integration.W001"]
