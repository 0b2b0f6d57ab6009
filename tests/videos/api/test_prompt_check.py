"""POST /api/prompt/check: the model's own tokenizer counts the prompt (the studio's live
counter), says whether the model would cut it and gives the language advice; creates nothing."""

from __future__ import annotations

from videos.generation.tokens import count_tokens
from videos.models import VideoJob


def check(client, body):
    return client.post("/api/prompt/check", body, format="json")


def test_the_count_is_the_tokenizers_not_an_estimate(owner_api):
    prompt = "A red fox, running through fresh snow!"
    answer = check(owner_api, {"prompt": prompt})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["model"] == "tiny-random" and body["counted_by"] == "tokenizer"
    # The tiny tokenizer has single characters as pieces: one token a character and a
    # word-start marker, plus the end-of-sequence token; what the pipeline's own tokenizer says.
    assert body["tokens"] == count_tokens("tiny-random", prompt) > len(prompt) // 2
    assert (body["token_limit"], body["truncated"], body["warnings"]) == (226, False, [])
    assert VideoJob.objects.count() == 0


def test_a_prompt_the_model_would_cut_and_a_non_english_one_are_said(owner_api):
    long = check(owner_api, {"prompt": "A quiet misty forest at dawn, " * 20}).json()
    assert long["truncated"] is True and long["tokens"] > 226
    assert f"The prompt is {long['tokens']} tokens; the model reads only the first 226" in long["warnings"][0]
    chinese = check(owner_api, {"prompt": "一只红色的狐狸在雪地里奔跑"}).json()
    assert any("looks mostly non-English" in warning for warning in chinese["warnings"])


def test_bad_requests_are_400_and_strangers_401(owner_api, anon_api):
    refused = check(owner_api, {"prompt": "a fox", "model": "cogvideox-5b", "extra": 1})
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"model", "extra"}
    assert check(owner_api, {"prompt": 7}).status_code == 400
    assert check(anon_api, {"prompt": "a fox"}).status_code == 401
