"""Live previews: the latent-to-RGB projection is fitted from the model's own VAE (and beats
guessing on latents it was not fitted on), kept on disk, and a preview is a small JPEG of the
middle latent frame; the engine hands previews to its caller while it denoises."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
import torch
from django.test import override_settings
from PIL import Image

from tests.videos.generation.test_acceleration import REQUEST
from videos.generation import live_preview
from videos.generation.engine import get_engine


@pytest.fixture(scope="module")
def vae():
    return get_engine().pipeline.vae


def projection_error(vae, factors: dict, seed: int) -> tuple[float, float]:
    """Mean squared error of the projection on fresh latents, and of the best constant colour."""
    generator = torch.Generator().manual_seed(seed)
    size = live_preview.FIT_LATENT_SIZE
    latent = torch.randn(1, vae.config.latent_channels, 1, size, size, generator=generator)
    with torch.inference_mode():
        decoded = vae.decode(latent).sample.float()[0, :, 0]
    truth = torch.nn.functional.adaptive_avg_pool2d(decoded, (size, size))
    weights, bias = torch.tensor(factors["weights"]), torch.tensor(factors["bias"])
    scaled = latent[0, :, 0] * float(vae.config.scaling_factor)
    projected = torch.einsum("rc,chw->rhw", weights, scaled) + bias[:, None, None]
    constant = truth.mean(dim=(1, 2), keepdim=True)
    return ((projected - truth) ** 2).mean().item(), ((constant - truth) ** 2).mean().item()


def test_the_fitted_projection_predicts_the_vaes_colours(vae):
    factors = live_preview.fit_factors(vae)
    assert len(factors["weights"]) == 3 and len(factors["weights"][0]) == vae.config.latent_channels
    for seed in (101, 202, 303):  # latents the fit never saw
        error, guess = projection_error(vae, factors, seed)
        assert error < 0.8 * guess, (seed, error, guess)


def test_the_factors_are_fitted_once_and_kept(vae, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first = live_preview.factors_for("tiny-random", vae)
    stored = list((tmp_path / "models").glob("latent-rgb-*.json"))
    assert len(stored) == 1
    stored[0].write_text('{"weights": [[1.0]], "bias": [0.0]}')  # what is on disk is what is used
    assert live_preview.factors_for("tiny-random", vae) == {"weights": [[1.0]], "bias": [0.0]}
    assert first["weights"] != [[1.0]]


def test_a_preview_is_a_small_jpeg_of_the_middle_frame(vae):
    factors = live_preview.fit_factors(vae)
    latents = torch.zeros(1, 3, vae.config.latent_channels, 60, 90)  # [batch, frames, C, h, w]
    latents[0, 1] = torch.randn(vae.config.latent_channels, 60, 90)  # only the middle frame has content
    image = Image.open(io.BytesIO(live_preview.preview_jpeg(latents, factors)))
    assert image.format == "JPEG" and image.size == (live_preview.PREVIEW_WIDTH, 171)
    flat = Image.open(io.BytesIO(live_preview.preview_jpeg(torch.zeros_like(latents), factors)))
    assert image.convert("L").getextrema() != flat.convert("L").getextrema()


def test_the_engine_hands_previews_while_it_denoises(monkeypatch):
    monkeypatch.setattr(live_preview, "PREVIEW_INTERVAL", 0.0)  # every step but the last
    seen: list[tuple[int, bytes]] = []
    output = get_engine().generate(
        replace(REQUEST, num_inference_steps=4), on_preview=lambda image, step: seen.append((step, image))
    )
    assert [step for step, _image in seen] == [1, 2, 3]
    assert all(image[:3] == b"\xff\xd8\xff" for _step, image in seen)
    assert output.timings["previews"] == 3 and output.timings["preview_seconds"] > 0
    with override_settings(COGVIDEO_LIVE_PREVIEWS=False):
        seen.clear()
        get_engine().generate(
            replace(REQUEST, num_inference_steps=2), on_preview=lambda image, step: seen.append((step, image))
        )
        assert seen == []
