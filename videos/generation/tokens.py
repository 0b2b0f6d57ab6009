"""The text encoder's own token count of a prompt, in the web process: the model's tokenizer
alone (transformers' T5 tokenizer: SentencePiece, no torch), loaded once per model, so the
studio's counter says what the model will read, not a guess.

Where the tokenizer is: the tiny models' is made from their vocabulary (tiny.py, the same
one their pipeline saves); a real checkpoint's is its `tokenizer/` folder, from a local
folder or the Hugging Face cache (never downloaded here: the worker fetches weights). When
it cannot be loaded, `count_tokens` answers None and callers fall back to the estimate.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from typing import Any

from django.conf import settings

from .profiles import TINY_MODELS

logger = logging.getLogger(__name__)
_lock = threading.Lock()


@cache
def _tokenizer(model: str) -> Any | None:
    from transformers import T5Tokenizer

    if model in TINY_MODELS:
        from .tiny import _tiny_vocab

        return T5Tokenizer(vocab=_tiny_vocab(), extra_ids=0, model_max_length=226)
    try:
        return T5Tokenizer.from_pretrained(
            model, subfolder="tokenizer", revision=settings.COGVIDEO_MODEL_REVISION, local_files_only=True
        )
    except Exception as exc:  # noqa: BLE001 - no tokenizer here: the caller estimates instead
        logger.info("no local tokenizer for %s (%s); prompt lengths are estimated", model, type(exc).__name__)
        return None


def count_tokens(model: str, prompt: str) -> int | None:
    """Tokens the text encoder gets for `prompt` (end-of-sequence token included), or None
    when the model's tokenizer is not on this machine."""
    with _lock:  # SentencePiece objects are not thread-safe; gunicorn's threads share them
        tokenizer = _tokenizer(model)
        if tokenizer is None:
            return None
        return len(tokenizer(prompt, add_special_tokens=True).input_ids)
