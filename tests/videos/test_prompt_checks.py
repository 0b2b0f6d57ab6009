"""The prompt advice used by the template preview: a documented token estimate and a
non-English check (no tokenizer, no torch in the web process)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.live import ROOT
from videos.prompt_checks import advise, estimate_tokens, looks_non_english, preview_template


def test_estimate_counts_words_long_words_punctuation_and_end_token():
    assert estimate_tokens("") == 1
    assert estimate_tokens("a red fox") == 4  # three short words + end of sequence
    assert estimate_tokens("extraordinarily") == 4  # 15 letters: three pieces
    assert estimate_tokens("fox, snow.") == 5
    assert estimate_tokens("狐狸") == 3  # one per character outside the Latin script


def test_a_typical_english_prompt_is_well_under_the_limit():
    prompt = "A beautiful sunset over the ocean with waves crashing against the rocks, cinematic, 4k"
    advice = advise(prompt)
    assert 15 <= advice.estimated_tokens <= 30
    assert advice.warnings == []


def test_long_and_non_english_prompts_get_warnings():
    assert "only the first 226" in advise("word " * 300).warnings[0]
    assert looks_non_english("一只狐狸在雪地里奔跑")
    assert looks_non_english("Un renard roux qui court dans la neige fraîche")  # Latin script, but French
    assert not looks_non_english("A red fox running through fresh snow")
    assert not looks_non_english("Neon city, rain, 4k")  # too short to judge: no warning


def test_preview_template_renders_and_reports():
    result = preview_template("A {animal} in {place}", {"animal": "fox", "place": "snow"})
    assert result["prompt"] == "A fox in snow" and result["placeholders"] == ["animal", "place"]
    assert preview_template("A {animal}", {})["error"] == "Missing variables: animal."


def test_the_web_side_never_imports_torch(tmp_path):
    """A fresh interpreter loads the URLs, the admin and the studio, and renders the studio
    page and the template preview: torch (and transformers, diffusers) stay out."""
    script = """
import os, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from django.test import Client
user = get_user_model().objects.create_user("web", password="x", is_staff=True, is_superuser=True)
client = Client()
client.force_login(user)
assert client.get("/").status_code == 200
assert client.get("/admin/videos/videojob/").status_code == 200
assert client.post("/admin/videos/prompttemplate/preview/", {"text": "A {x}", "sample_variables": '{"x": "fox"}'}).json()["prompt"] == "A fox"
print(sorted(name for name in ("torch", "transformers", "diffusers") if name in sys.modules))
"""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cogvideo_site.settings",
        "COGVIDEO_DATA_DIR": str(tmp_path),
        "COGVIDEO_ALLOWED_HOSTS": "testserver",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
