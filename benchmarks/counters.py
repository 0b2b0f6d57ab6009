"""Counting the transformer work a run really does, with forward hooks.

Cache methods skip work inside the transformer, not calls to it: the pipeline still calls the
transformer once per step, and a skipped block's forward is replaced by diffusers' hook. So we
count the modules that only run when work is done: each block's attention query projection
(skipped by PAB and FasterCache) and its feed-forward (skipped with the whole block by First
Block Cache), weighted by the batch rows they process (FasterCache drops the unconditional
half of the guidance batch on some steps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TransformerWork:
    attention_rows: int = 0  # attention evaluations x batch rows, summed over blocks and steps
    feedforward_rows: int = 0  # feed-forward (whole block) evaluations x batch rows
    _handles: list = field(default_factory=list, repr=False)

    @property
    def total(self) -> int:
        return self.attention_rows + self.feedforward_rows

    def as_dict(self) -> dict[str, int]:
        return {"attention_rows": self.attention_rows, "feedforward_rows": self.feedforward_rows}

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __enter__(self) -> TransformerWork:
        return self

    def __exit__(self, *_exc) -> None:
        self.remove()


def count_transformer_work(transformer: Any) -> TransformerWork:
    """Attach counting hooks to `transformer` (a CogVideoXTransformer3DModel); use the result as
    a context manager, or call .remove(), to take them off again."""
    work = TransformerWork()

    def on_attention(_module, inputs, _output) -> None:
        work.attention_rows += int(inputs[0].shape[0])

    def on_feedforward(_module, inputs, _output) -> None:
        work.feedforward_rows += int(inputs[0].shape[0])

    for block in transformer.transformer_blocks:
        work._handles.append(block.attn1.to_q.register_forward_hook(on_attention))
        work._handles.append(block.ff.register_forward_hook(on_feedforward))
    return work
