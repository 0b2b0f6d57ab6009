"""Hostile bodies: nesting bombs, odd unicode, invalid encodings. Always a clear 4xx, never a
500, never a job."""

from __future__ import annotations

import json

import pytest

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
