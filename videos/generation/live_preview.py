"""Live previews while a job denoises: the current latents seen through a linear
latent-to-RGB projection, the way A1111 and ComfyUI show a cheap preview before the VAE runs.

The projection is fitted once per model from its own VAE: random latents are decoded, the
decoded pixels are averaged down to the latent grid, and least squares gives the 3 x C
matrix (plus bias) that best maps a latent pixel's channels to its colour. It is stored
beside the model cache, keyed by the VAE's configuration, so a worker fits it once.

A preview is the middle latent frame projected, scaled up to PREVIEW_WIDTH and JPEG-encoded:
a few milliseconds, taken at most every PREVIEW_INTERVAL seconds of denoising (the worker
measures its share of a job: benchmarks/README.md, "Live previews")."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

PREVIEW_WIDTH = 256  # pixels; the studio shows it small
PREVIEW_INTERVAL = 1.0  # seconds between two previews of one job
FIT_LATENT_SIZE = 8  # latent pixels a side of the random latents decoded for the fit
FIT_SAMPLES = 4


def _factors_path(model: str, vae: Any) -> Path:
    config = json.dumps(dict(vae.config), sort_keys=True, default=str)
    key = hashlib.sha256(f"{model}\n{config}".encode()).hexdigest()[:16]
    return Path(settings.DATA_DIR) / "models" / f"latent-rgb-{key}.json"


def fit_factors(vae: Any) -> dict:
    """The least-squares latent-to-RGB projection of `vae`: {"weights": 3 x C, "bias": 3}, for
    latents as the pipeline holds them (multiplied by the VAE's scaling factor)."""
    import torch

    channels = vae.config.latent_channels
    scaling = float(getattr(vae.config, "scaling_factor", 1.0) or 1.0)
    generator = torch.Generator(device="cpu").manual_seed(0)
    inputs, targets = [], []
    parameter = next(vae.parameters())
    with torch.inference_mode():
        for _sample in range(FIT_SAMPLES):
            # [batch, channels, frames, height, width]; one latent frame decodes to one frame.
            latent = torch.randn(1, channels, 1, FIT_LATENT_SIZE, FIT_LATENT_SIZE, generator=generator)
            decoded = vae.decode(latent.to(parameter.device, parameter.dtype)).sample.float().cpu()
            frame = decoded[0, :, 0]  # [3, 8h, 8w] in about [-1, 1]
            pooled = torch.nn.functional.adaptive_avg_pool2d(frame, (FIT_LATENT_SIZE, FIT_LATENT_SIZE))
            inputs.append((latent[0, :, 0] * scaling).reshape(channels, -1).T)
            targets.append(pooled.reshape(3, -1).T)
    x = torch.cat(inputs)
    x = torch.cat([x, torch.ones(x.shape[0], 1)], dim=1)
    solution = torch.linalg.lstsq(x, torch.cat(targets)).solution  # [C + 1, 3]
    return {"weights": solution[:-1].T.tolist(), "bias": solution[-1].tolist()}


def factors_for(model: str, vae: Any) -> dict:
    """The model's projection, fitted on first use and kept on disk."""
    path = _factors_path(model, vae)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    factors = fit_factors(vae)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(factors))
    except OSError as exc:  # a read-only or full disk: fit again next time
        logger.warning("latent-rgb factors not saved (%s)", exc)
    return factors


def preview_jpeg(latents: Any, factors: dict, width: int = PREVIEW_WIDTH) -> bytes:
    """The middle latent frame of `latents` ([batch, frames, channels, height, width], as
    CogVideoX's pipelines hold them) through the projection, as a JPEG `width` pixels wide."""
    import torch
    from PIL import Image

    frame = latents[0, latents.shape[1] // 2].float().cpu()  # [C, h, w]
    weights = torch.tensor(factors["weights"])
    bias = torch.tensor(factors["bias"])
    rgb = torch.einsum("rc,chw->rhw", weights, frame) + bias[:, None, None]
    pixels = ((rgb.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()
    image = Image.fromarray(pixels, "RGB")
    height = max(1, round(width * image.height / image.width))
    buffer = io.BytesIO()
    image.resize((width, height), Image.BILINEAR).save(buffer, format="JPEG", quality=75)
    return buffer.getvalue()
