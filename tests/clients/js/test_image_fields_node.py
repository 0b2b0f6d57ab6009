"""imageFields (the JS client's `image` option) in Node: a URL, a data URL, bytes and a Blob
become the request's `image_url` or `image` data URL."""

from __future__ import annotations

import base64
import json
import subprocess

from tests.support.images import solid_png

from ..browser import JS_CLIENT

CHECK = (
    f"import {{ imageFields }} from {json.dumps((JS_CLIENT / 'src' / 'video-generator.js').as_uri())};"
    + """
const png = Buffer.from(process.argv[1], 'base64');
const out = [
  await imageFields('https://cms.example/a.jpg'),
  await imageFields('data:image/png;base64,AAAA'),
  await imageFields(png),
  await imageFields(new Blob([png], { type: 'image/png' })),
];
try { await imageFields(42); } catch (error) { out.push(error.name); }
console.log(JSON.stringify(out));
"""
)


def test_image_fields_turn_urls_bytes_and_blobs_into_request_fields():
    png = solid_png((1, 2, 3))
    encoded = base64.b64encode(png).decode()
    result = subprocess.run(
        ["node", "--input-type=module", "-e", CHECK, encoded], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    url, data, from_bytes, from_blob, error = json.loads(result.stdout)
    assert url == {"image_url": "https://cms.example/a.jpg"}
    assert data == {"image": "data:image/png;base64,AAAA"}
    assert from_bytes == {"image": "data:application/octet-stream;base64," + encoded}
    assert from_blob == {"image": "data:image/png;base64," + encoded}
    assert error == "TypeError"
