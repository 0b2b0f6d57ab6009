"""Hostile bodies: nesting bombs, odd unicode, invalid encodings. Always a clear 4xx, never a
500, never a job."""

from __future__ import annotations

import json

import pytest

from videos import egress
from videos.models import VideoJob


def post_raw(client, raw: bytes | str):
    return client.post("/api/generate", raw, content_type="application/json")


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 20000 + "]" * 20000,
        '{"prompt": "a", "metadata": ' + '{"a":' * 5000 + "1" + "}" * 5000 + "}",
        '{"prompt": "a", "metadata": {"x": ' + "[" * 40 + "]" * 40 + "}}",
    ],
)
def test_nesting_bombs_are_rejected_cleanly(owner_api, raw):
    response = post_raw(owner_api, raw)
    assert response.status_code in (400, 413), response.content
    assert "error" in response.json()
    assert VideoJob.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [b'{"prompt": "\xff\xfe"}', b'{"prompt": "a", "seed": NaN}', b'{"prompt": "a", "guidance_scale": Infinity}'],
)
def test_invalid_encodings_and_non_json_numbers_are_400(owner_api, raw):
    response = post_raw(owner_api, raw)
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    assert VideoJob.objects.count() == 0


@pytest.mark.parametrize(
    "prompt",
    [
        "一只在雪地里奔跑的红狐狸",  # the article's own language
        "Ein Fuchs 🦊 im Schnee, ünïcödé",
        "e\u0301\u0301\u0301 combining marks",
        "right-to-left \u202e override",
        "zero\u200bwidth",
    ],
)
def test_unicode_prompts_are_accepted_and_kept_exactly(owner_api, prompt):
    response = owner_api.post("/api/generate", {"prompt": prompt, "duration": 1, "resolution": "64x64"}, format="json")
    assert response.status_code == 200, response.content
    assert VideoJob.objects.get().prompt == prompt


@pytest.mark.parametrize("bad", ["nul\x00byte", "escape\x1b[31m", "lone surrogate \ud800"])
def test_control_characters_and_surrogates_are_400(owner_api, bad):
    raw = json.dumps({"prompt": bad, "duration": 1}).encode()
    response = post_raw(owner_api, raw)
    assert response.status_code == 400 and "prompt" in response.json()["error"]["fields"]
    assert VideoJob.objects.count() == 0


# URLs aimed inside: every IPv4 spelling of loopback, names for it, metadata endpoints and the
# IPv6 forms that carry a loopback or private IPv4 address (videos/egress.py judges those by it).
INSIDE_URLS = [
    "http://127.0.0.1:9001/cb", "http://2130706433:9001/cb", "http://0x7f.1:9001/cb", "http://127.1:9001/cb",
    "http://localhost:9001/cb", "http://[::1]:9001/cb", "http://[::ffff:127.0.0.1]:9001/cb",
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/latest", "http://100.64.0.1/cb",
    "http://[::127.0.0.1]:9001/cb", "http://[::7f00:1]:9001/cb", "http://[64:ff9b::7f00:1]:9001/cb",
    "http://[2002:7f00:1::]:9001/cb", "http://[2001:0:7f00:1::1]:9001/cb", "http://[::ffff:0:7f00:1]:9001/cb",
    "http://[64:ff9b::a9fe:a9fe]/latest", "http://[2002:a00:1::]/cb", "http://[64:ff9b:1::7f00:1]/cb",
]  # fmt: skip


@pytest.mark.parametrize("url", INSIDE_URLS)
def test_callback_urls_aimed_inside_are_400_and_create_nothing(owner_api, url):
    response = owner_api.post("/api/generate", {"prompt": "a", "duration": 1, "callback_url": url}, format="json")
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["error"]["fields"]["callback_url"])
    assert "callback_url" in message and "refused" in message, message
    assert VideoJob.objects.count() == 0


@pytest.mark.parametrize("url", INSIDE_URLS)
def test_image_urls_aimed_inside_are_refused_by_the_egress_check(url):
    # The image_url request field arrives with image-to-video; its fetch goes through
    # egress.fetch, which runs this check first.
    with pytest.raises(egress.EgressRefused) as refused:
        egress.check_url(url, policy=egress.Policy(), field="image_url")
    assert refused.value.rule in {"address", "url"} and "image_url" in str(refused.value)
