"""How close two videos are: PSNR in dB over all frames (uint8 RGB)."""

from __future__ import annotations

import math
from typing import Any


def psnr(reference: Any, candidate: Any) -> float:
    """Peak signal-to-noise ratio of `candidate` against `reference` (same shape, uint8);
    infinity when they are identical. 30 dB and up is visually very close."""
    import numpy as np

    if reference.shape != candidate.shape:
        raise ValueError(f"shapes differ: {reference.shape} vs {candidate.shape}")
    mse = float(np.mean((reference.astype(np.float64) - candidate.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)
