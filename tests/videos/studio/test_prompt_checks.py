"""The prompt advice used by the template preview: a documented token estimate and a
non-English check (no tokenizer, no torch in the web process)."""

from __future__ import annotations

import sys

from videos.studio.prompt_checks import advise, estimate_tokens, looks_non_english, preview_template


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


def test_the_web_process_does_not_import_torch():
    import videos.admin  # noqa: F401
    import videos.studio.views  # noqa: F401

    # The studio and admin modules must stay importable without torch being pulled in by them
    # (other tests in this process may have loaded it for the worker, so check the modules).
    for module in ("videos.studio.prompt_checks", "videos.studio.views", "videos.admin"):
        source = sys.modules[module].__file__
        with open(source) as handle:
            assert "import torch" not in handle.read()
