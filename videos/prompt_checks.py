"""Advice on a prompt before it is queued: an estimate of its length in the text encoder's
tokens, and whether it looks like English (a job whose prompt does not carries that warning
from its creation: job_specs). Pure rules: the admin's template preview and the studio use
them too.

The web process never loads the model's tokenizer (that would pull in transformers and,
with it, torch), so the length here is an estimate with a documented rule of thumb. The
worker counts the real tokens when it runs the job and records a warning on the job when
the prompt was cut (see videos/generation/engine.py).

The rule of thumb, tuned on CogVideoX's T5 SentencePiece vocabulary:
- a run of Latin letters or digits is one token per started 7 characters (common English
  words are single pieces; long or rare words split into a few);
- every other visible character (punctuation, symbols) is one token;
- a character outside the Latin script (CJK, Cyrillic, Arabic...) is at least one token:
  T5's vocabulary barely covers those scripts;
- plus one end-of-sequence token.
It over-counts rather than under-counts for typical English prompts, so a prompt under the
limit here is under it in the model too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MODEL_TEXT_TOKEN_LIMIT = 226
LATIN_RUN_CHARS_PER_TOKEN = 7
# Below this share of Latin letters among all letters, a prompt counts as non-English.
MIN_LATIN_SHARE = 0.5
# Latin-script prompts of this many words with none of these words are probably not English
# (French, German, Spanish...). Cheap, and good enough for advice.
MIN_WORDS_FOR_LANGUAGE_GUESS = 6
ENGLISH_FUNCTION_WORDS = frozenset(
    "a an the of and or in on at to with from by for into over under through is are was were "
    "it its this that as his her their while his".split()
)

_LATIN_RUN = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+")
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F]+")


def _is_latin_letter(char: str) -> bool:
    return char.isalpha() and (char.isascii() or "LATIN" in unicodedata.name(char, ""))


def estimate_tokens(text: str) -> int:
    count = 0
    for run in _LATIN_RUN.findall(text):
        count += -(-len(run) // LATIN_RUN_CHARS_PER_TOKEN)
    for char in _LATIN_RUN.sub(" ", text):
        if not char.isspace():
            count += 1
    return count + 1  # end-of-sequence


def latin_share(text: str) -> float | None:
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return None
    return sum(1 for char in letters if _is_latin_letter(char)) / len(letters)


def looks_non_english(text: str) -> bool:
    share = latin_share(text)
    if share is None:
        return False
    if share < MIN_LATIN_SHARE:
        return True
    words = [word.lower() for word in _WORD.findall(text)]
    return len(words) >= MIN_WORDS_FOR_LANGUAGE_GUESS and not ENGLISH_FUNCTION_WORDS.intersection(words)


@dataclass
class PromptAdvice:
    estimated_tokens: int
    token_limit: int
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "estimated_tokens": self.estimated_tokens,
            "token_limit": self.token_limit,
            "warnings": self.warnings,
        }


def advise(text: str, token_limit: int = MODEL_TEXT_TOKEN_LIMIT) -> PromptAdvice:
    tokens = estimate_tokens(text)
    advice = PromptAdvice(estimated_tokens=tokens, token_limit=token_limit)
    if tokens > token_limit:
        advice.warnings.append(
            f"The prompt is about {tokens} tokens; the model reads only the first {token_limit}, "
            "so the end of it will be ignored. Shorten it."
        )
    language = language_warning(text)
    if language:
        advice.warnings.append(language)
    return advice


def language_warning(text: str) -> str:
    """The advice for a prompt that looks non-English (the API records it on the job), or ""."""
    if not looks_non_english(text):
        return ""
    return (
        "The prompt looks mostly non-English. CogVideoX was trained on English captions: "
        "English prompts give much better videos."
    )


def preview_template(text: str, variables, token_limit: int = MODEL_TEXT_TOKEN_LIMIT) -> dict:
    """The prompt a template makes with `variables`, plus advice: what the template admin's
    live preview shows. Problems (bad placeholders, missing variables) come back as `error`."""
    from django.core.exceptions import ValidationError

    from .models import PromptTemplate
    from .prompt_templates import placeholders, render

    result: dict = {"prompt": "", "placeholders": [], "error": None, "estimated_tokens": 0, "token_limit": token_limit}
    result["warnings"] = []
    try:
        result["placeholders"] = placeholders(text)
        result["prompt"] = render(PromptTemplate(text=text), variables if variables is not None else {})
    except ValidationError as exc:
        result["error"] = " ".join(exc.messages)
        return result
    result.update(advise(result["prompt"], token_limit).as_dict())
    return result


def check_prompt(text: str, model: str, token_limit: int) -> dict:
    """What the studio's counter shows while the editor types: the model's own token count
    (its tokenizer, videos/generation/tokens.py), or the estimate where the tokenizer is not
    on this machine; whether the model would cut the prompt; and the advice."""
    from .generation.tokens import count_tokens

    counted = count_tokens(model, text) if text else 0
    tokens = counted if counted is not None else estimate_tokens(text)
    warnings = []
    if tokens > token_limit:
        about = "" if counted is not None else "about "
        warnings.append(
            f"The prompt is {about}{tokens} tokens; the model reads only the first {token_limit}, "
            "so the end of it will be ignored. Shorten it."
        )
    language = language_warning(text)
    if language:
        warnings.append(language)
    return {
        "tokens": tokens,
        "token_limit": token_limit,
        "counted_by": "tokenizer" if counted is not None else "estimate",
        "truncated": tokens > token_limit,
        "warnings": warnings,
    }
