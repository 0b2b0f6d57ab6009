"""Render what the checkpoint was trained for, deliver what was asked: the trained size a
request renders at, the ffmpeg filters that fit it to the asked size and rate, and real
encodes of small frames (ffmpeg from imageio-ffmpeg) that show each fit does what it says."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.support.media import probe_video
from videos.generation import engine as engine_module
from videos.generation.encoding import (
    Delivery,
    size_filters,
    video_filters,
    write_mp4,
    write_poster,
    write_preview,
    write_webm,
)
from videos.generation.profiles import COGVIDEOX_2B, COGVIDEOX_5B, COGVIDEOX_15_5B, TINY


@pytest.mark.parametrize("profile", [COGVIDEOX_2B, COGVIDEOX_5B])
@pytest.mark.parametrize("asked", [(512, 512), (720, 480), (480, 720), (1360, 768), (64, 64)])
def test_2b_and_5b_render_only_720x480(profile, asked):
    assert profile.render_size_for(*asked) == (720, 480)


@pytest.mark.parametrize(
    ("asked", "rendered"),
    [
        ((1360, 768), (1360, 768)),  # a trained size renders as asked
        ((768, 1360), (768, 1360)),
        ((512, 512), (768, 768)),
        ((720, 480), (1152, 768)),  # 3:2 kept, short side 768
        ((480, 720), (768, 1152)),
        ((960, 544), (1360, 768)),  # about 16:9
        ((1280, 512), (1360, 768)),  # wider than 1360:768: the long side is capped
    ],
)
def test_cogvideox15_renders_inside_its_bounds_nearest_in_aspect(asked, rendered):
    assert COGVIDEOX_15_5B.render_size_for(*asked) == rendered


def test_the_tiny_model_renders_every_size_it_may_deliver_as_asked():
    for asked in [(64, 64), (128, 64), (720, 480), (480, 720), (1360, 768)]:
        assert TINY.render_size_for(*asked) == asked


def test_profiles_offer_the_native_rate_and_interpolated_ones_above_it():
    assert COGVIDEOX_2B.delivered_fps == (8, 16, 24, 30)
    assert COGVIDEOX_15_5B.delivered_fps == (16, 24, 30)
    assert COGVIDEOX_15_5B.durations == (5, 10) and COGVIDEOX_15_5B.default_duration == 5
    assert COGVIDEOX_2B.durations == (1, 2, 3, 4, 5, 6) and COGVIDEOX_2B.default_duration == 6


def test_a_trained_size_at_the_native_rate_is_not_resampled():
    assert video_filters((720, 480), 8, Delivery(720, 480, 8, fit="pad")) == []


def test_fit_filters():
    crop = size_filters((720, 480), 512, 512, "crop", "#000000")
    assert crop[0].startswith("scale=512:512:force_original_aspect_ratio=increase") and crop[1] == "crop=512:512"
    pad = size_filters((720, 480), 512, 512, "pad", "#12ab34")
    assert "force_original_aspect_ratio=decrease" in pad[0] and pad[1].endswith("color=0x12ab34")
    assert size_filters((720, 480), 512, 512, "stretch", "#000000")[0] == "scale=512:512:flags=lanczos"
    chain = video_filters((720, 480), 8, Delivery(512, 512, 24, seconds=1))
    # The rate first, on the model's own pixels, then the size.
    assert chain[1].startswith("minterpolate=fps=24") and chain[2].startswith("scale=512:512")


def _frames_with_a_red_middle(count=9, width=96, height=64) -> np.ndarray:
    """Blue left and right thirds, red middle third."""
    frames = np.zeros((count, height, width, 3), np.uint8)
    frames[..., 2] = 255
    frames[:, :, width // 3 : 2 * width // 3] = (255, 0, 0)
    return frames


def _decoded(path) -> np.ndarray:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    width, height = meta["size"]
    first = next(reader)
    reader.close()
    return np.frombuffer(first, np.uint8).reshape(height, width, 3).astype(int)


def test_crop_keeps_the_middle_and_pad_letterboxes_in_the_asked_colour(tmp_path):
    frames = _frames_with_a_red_middle()  # 96x64
    write_mp4(frames, 8, tmp_path / "crop.mp4", Delivery(32, 64, 8, fit="crop"))
    cropped = _decoded(tmp_path / "crop.mp4")
    assert cropped.shape == (64, 32, 3)
    assert cropped[:, 4:-4, 0].mean() > 200 and cropped[:, 4:-4, 2].mean() < 40  # only the red middle

    write_mp4(frames, 8, tmp_path / "pad.mp4", Delivery(96, 96, 8, fit="pad", pad_color="#00ff00"))
    padded = _decoded(tmp_path / "pad.mp4")
    assert padded.shape == (96, 96, 3)
    top, middle = padded[:10], padded[30:66]
    assert top[..., 1].mean() > 200 and top[..., 0].mean() < 40  # green bars above (and below)
    assert middle[:, 40:56, 0].mean() > 200  # the picture, unscaled, in between

    write_mp4(frames, 8, tmp_path / "stretch.mp4", Delivery(64, 64, 8, fit="stretch"))
    stretched = _decoded(tmp_path / "stretch.mp4")
    assert stretched[:, :16, 2].mean() > 200 and stretched[:, 24:40, 0].mean() > 200  # all three bands

    write_poster(frames, tmp_path / "poster.jpg", Delivery(96, 96, 8, fit="pad", pad_color="#00ff00"))
    assert Image.open(tmp_path / "poster.jpg").size == (96, 96)


def test_interpolated_rates_keep_the_duration(tmp_path):
    frames = np.repeat(np.linspace(0, 255, 9, dtype=np.uint8)[:, None, None, None], 64 * 64 * 3, axis=1)
    frames = frames.reshape(9, 64, 64, 3)
    for fps in (16, 24, 30):
        path = tmp_path / f"{fps}.mp4"
        write_mp4(frames, 8, path, Delivery(64, 64, fps, seconds=1))
        probe = probe_video(path)
        assert (probe["fps"], probe["frames"]) == (fps, fps + 1)  # 1 s at fps: fps * 1 + 1 frames


def test_webm_and_preview(tmp_path):
    frames = _frames_with_a_red_middle(count=49)
    for index in range(49):
        frames[index, :, index % 96] = 255  # a moving line: a changing picture
    write_webm(frames, 8, tmp_path / "v.webm", Delivery(64, 64, 8))
    probe = probe_video(tmp_path / "v.webm")
    assert (probe["codec"], probe["width"], probe["height"], probe["frames"]) == ("vp9", 64, 64, 49)
    assert "webm" in probe["format"]
    write_preview(frames, 8, tmp_path / "p.webp", Delivery(640, 320, 8))
    preview = Image.open(tmp_path / "p.webp")
    # At most 4 s at 8 fps, at most 320 px wide, in the delivered aspect ratio.
    assert preview.format == "WEBP" and preview.is_animated and preview.n_frames == 33
    assert preview.size == (320, 160)


def test_decoder_calls_counts_the_vae_chunks(settings):
    """The decode's progress denominator matches the VAE's real decoder calls, tiled or not."""
    import torch

    engine = engine_module.get_engine()
    vae = engine.pipeline.vae
    calls = []
    handle = vae.decoder.register_forward_hook(lambda *_: calls.append(1))
    was = (vae.use_tiling, vae.tile_sample_min_height, vae.tile_sample_min_width)
    try:
        # Small tiles (64 px, 8 latent pixels), so a tiled decode is quick here.
        vae.enable_tiling(tile_sample_min_height=64, tile_sample_min_width=64)
        for tiling, shape in [(False, (1, 5, 4, 8, 8)), (True, (1, 3, 4, 12, 20)), (True, (1, 1, 4, 8, 8))]:
            vae.use_tiling = tiling
            calls.clear()
            with torch.inference_mode():
                engine.decode(torch.zeros(shape), on_chunk=None)
            assert len(calls) == engine_module.decoder_calls(vae, shape), (tiling, shape)
        assert (
            engine_module.decoder_calls(vae, (1, 3, 4, 12, 20)) == 2 * 4
        )  # 2 rows x 4 columns of tiles (6-latent strides)
    finally:
        vae.enable_tiling(tile_sample_min_height=was[1], tile_sample_min_width=was[2])
        vae.use_tiling = was[0]
        handle.remove()


def test_a_cancel_between_decode_chunks_stops_the_decode():
    import torch

    engine = engine_module.get_engine()
    seen = []
    with pytest.raises(engine_module.GenerationCanceled) as raised, torch.inference_mode():
        engine.decode(torch.zeros((1, 5, 4, 8, 8)), on_chunk=lambda done, total: seen.append((done, total)),
                      should_cancel=lambda: bool(seen))  # fmt: skip
    assert seen == [(1, 2)]
    assert (raised.value.stage, raised.value.done, raised.value.total) == ("decoding", 1, 2)


def test_a_cancel_inside_a_chunk_stops_before_the_next_decoder_block():
    """A chunk of a real checkpoint takes seconds on a CPU: the decode also asks before each
    of the decoder's blocks (mid block, up blocks), so a cancel does not wait for the chunk."""
    import torch

    engine = engine_module.get_engine()
    asked = []
    chunks = []

    def should_cancel() -> bool:
        asked.append(1)
        return len(asked) >= 3  # before decoding, before the mid block: no; before up block 0: yes

    with pytest.raises(engine_module.GenerationCanceled) as raised, torch.inference_mode():
        engine.decode(torch.zeros((1, 5, 4, 8, 8)), on_chunk=lambda *c: chunks.append(c), should_cancel=should_cancel)
    assert (raised.value.done, len(asked), chunks) == (0, 3, [])
