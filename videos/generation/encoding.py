"""Frames to files: an H.264 MP4 (yuv420p, faststart), a VP9 WebM on request, a small
animated WebP preview and a JPEG poster.

The engine renders at the checkpoint's trained size and native frame rate; the delivered
size (`fit`: crop, pad or stretch) and frame rate (motion interpolation) are made here, by
ffmpeg filters in the ffmpeg binary that imageio-ffmpeg ships, in the same pass as the
encode. `video_filters` is pure, so what a request turns into is testable without ffmpeg.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FITS = ("crop", "pad", "stretch")
DEFAULT_FIT = "crop"
DEFAULT_PAD_COLOR = "#000000"
PAD_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
FORMATS = ("mp4", "webm")

# minterpolate's mode for rates above the native one. "mci" (motion-compensated, overlapped
# block MC, bidirectional ME) against "blend" (cross-fade of neighbours): see
# benchmarks/encoding_bench.py and benchmarks/README.md for the measured quality and cost.
INTERPOLATION_FILTER = "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"
BLEND_FILTER = "minterpolate=fps={fps}:mi_mode=blend"

# The preview: a hover clip for lists. Small on purpose: 320 px wide, 8 fps, at most 4 s.
PREVIEW_WIDTH = 320
PREVIEW_FPS = 8
PREVIEW_SECONDS = 4


class EncodingError(Exception):
    code = "encoding_failed"


@dataclass(frozen=True)
class Delivery:
    """What the caller asked for: the delivered size, how the rendered frames fit it, and the
    delivered frame rate. `seconds` fixes the delivered frame count at fps * seconds + 1, so
    an interpolated video lasts as long as the native one (first and last frames shared)."""

    width: int
    height: int
    fps: int
    fit: str = DEFAULT_FIT
    pad_color: str = DEFAULT_PAD_COLOR
    seconds: int | None = None

    @property
    def frames(self) -> int | None:
        return None if self.seconds is None else self.fps * self.seconds + 1


def size_filters(render: tuple[int, int], width: int, height: int, fit: str, pad_color: str) -> list[str]:
    """ffmpeg filters taking render-size frames to width x height. None when they match:
    a request for a trained size is not resampled."""
    if render == (width, height):
        return []
    if fit == "stretch":
        scale = [f"scale={width}:{height}:flags=lanczos"]
    elif fit == "crop":
        # Scale to cover, then cut the middle.
        scale = [
            f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=lanczos",
            f"crop={width}:{height}",
        ]
    elif fit == "pad":
        color = pad_color.lstrip("#")
        scale = [
            f"scale={width}:{height}:force_original_aspect_ratio=decrease:flags=lanczos",
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=0x{color}",
        ]
    else:
        raise ValueError(f"unknown fit {fit!r}")
    return [*scale, "setsar=1"]


def video_filters(
    render: tuple[int, int], render_fps: int, delivery: Delivery, *, interpolation: str = ""
) -> list[str]:
    """The whole filter chain: the frame rate first (motion estimated on the model's own
    pixels, with no bars or cut edges), then the size."""
    filters = []
    if delivery.fps != render_fps:
        # minterpolate needs a frame after the last one to make the frames up to it: one
        # clone of the last frame; -frames:v then ends the video at fps * seconds + 1.
        filters += ["tpad=stop=1:stop_mode=clone", (interpolation or INTERPOLATION_FILTER).format(fps=delivery.fps)]
    filters += size_filters(render, delivery.width, delivery.height, delivery.fit, delivery.pad_color)
    return filters


def _encode(frames: Any, fps: int, path: Path, *, codec: str, pix_fmt: str, filters: list[str], params: list[str],
            max_frames: int | None = None) -> None:  # fmt: skip
    import imageio_ffmpeg

    count, height, width, _channels = frames.shape
    output = [*(["-vf", ",".join(filters)] if filters else []), *params]
    if max_frames:
        output += ["-frames:v", str(max_frames)]
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        fps=fps,
        codec=codec,
        pix_fmt_in="rgb24",
        pix_fmt_out=pix_fmt,
        quality=None,
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=output,
    )
    try:
        writer.send(None)
        for index in range(count):
            writer.send(frames[index].tobytes())
        writer.close()
    except (OSError, RuntimeError) as exc:
        raise EncodingError(f"ffmpeg could not encode the video: {exc}") from exc


def write_mp4(frames: Any, fps: int, path: Path, delivery: Delivery | None = None, *, interpolation: str = "") -> None:
    """Encode uint8 frames [F, H, W, 3] rendered at `fps` into the delivered H.264 MP4."""
    delivery = delivery or _as_rendered(frames, fps)
    _encode(
        frames,
        fps,
        path,
        codec="libx264",
        pix_fmt="yuv420p",
        filters=video_filters(_size_of(frames), fps, delivery, interpolation=interpolation),
        # faststart puts the index first so players (and <video> tags) start before the end.
        params=["-crf", "18", "-preset", "medium", "-movflags", "+faststart"],
        max_frames=delivery.frames,
    )


def write_webm(frames: Any, fps: int, path: Path, delivery: Delivery | None = None, *, interpolation: str = "") -> None:
    """The same delivery as a VP9 WebM (constant quality, row multithreading)."""
    delivery = delivery or _as_rendered(frames, fps)
    _encode(
        frames,
        fps,
        path,
        codec="libvpx-vp9",
        pix_fmt="yuv420p",
        filters=video_filters(_size_of(frames), fps, delivery, interpolation=interpolation),
        params=["-crf", "33", "-b:v", "0", "-deadline", "good", "-cpu-used", "4", "-row-mt", "1"],
        max_frames=delivery.frames,
    )


def write_preview(frames: Any, fps: int, path: Path, delivery: Delivery | None = None) -> None:
    """A small looping animated WebP of the first seconds, in the delivered framing."""
    delivery = delivery or _as_rendered(frames, fps)
    count = min(len(frames), fps * PREVIEW_SECONDS + 1)
    width = min(PREVIEW_WIDTH, delivery.width) // 2 * 2
    height = max(2, round(delivery.height * width / delivery.width / 2) * 2)
    filters = size_filters(_size_of(frames), delivery.width, delivery.height, delivery.fit, delivery.pad_color)
    filters += [f"fps={PREVIEW_FPS}", f"scale={width}:{height}:flags=bicubic", "setsar=1"]
    _encode(
        frames[:count],
        fps,
        path,
        codec="libwebp_anim",
        pix_fmt="yuv420p",
        filters=filters,
        params=["-loop", "0", "-quality", "55", "-compression_level", "4", "-f", "webp"],
    )


def write_poster(frames: Any, path: Path, delivery: Delivery | None = None) -> None:
    from PIL import Image, ImageOps

    image = Image.fromarray(frames[len(frames) // 2])
    if delivery is not None and image.size != (delivery.width, delivery.height):
        size = (delivery.width, delivery.height)
        if delivery.fit == "crop":
            image = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
        elif delivery.fit == "pad":
            image = ImageOps.pad(image, size, Image.Resampling.LANCZOS, color=delivery.pad_color)
        else:
            image = image.resize(size, Image.Resampling.LANCZOS)
    image.save(path, format="JPEG", quality=88)


def _size_of(frames: Any) -> tuple[int, int]:
    return int(frames.shape[2]), int(frames.shape[1])


def _as_rendered(frames: Any, fps: int) -> Delivery:
    width, height = _size_of(frames)
    return Delivery(width=width, height=height, fps=fps)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
