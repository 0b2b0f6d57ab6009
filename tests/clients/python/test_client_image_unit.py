"""generate(image=...) in the Python client: a path, bytes, a data URL or an http(s) URL
becomes the request's `image` data URL or its `image_url` (no service needed: the body only)."""

from __future__ import annotations

import base64

import pytest
from cogvideo_client import _core

from tests.support.images import solid_png


def test_an_image_as_path_bytes_data_url_or_url_becomes_the_request_field(tmp_path):
    png = solid_png((10, 20, 30))
    path = tmp_path / "featured.png"
    path.write_bytes(png)
    expected = "data:image/png;base64," + base64.b64encode(png).decode()
    assert _core.generate_body("moves", {"image": path, "model": "tiny-random-i2v"}) == {
        "prompt": "moves", "image": expected, "model": "tiny-random-i2v"}  # fmt: skip
    assert _core.generate_body("moves", {"image": str(path)})["image"] == expected
    assert _core.generate_body("moves", {"image": png})["image"] == expected
    assert _core.generate_body("moves", {"image": expected})["image"] == expected
    jpeg = solid_png(fmt="JPEG")
    assert _core.generate_body("m", {"image": jpeg})["image"].startswith("data:image/jpeg;base64,")
    assert _core.generate_body("m", {"image": "https://cms.example/a.jpg"}) == {
        "prompt": "m", "image_url": "https://cms.example/a.jpg"}  # fmt: skip
    with pytest.raises(FileNotFoundError):
        _core.generate_body("m", {"image": tmp_path / "missing.png"})
