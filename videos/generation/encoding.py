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

# minterpolate's mode for rates above the native one (COGVIDEO_INTERPOLATION). Measured at
# 8 -> 24 fps, 720x480x49, against a scene drawn at 24 fps (benchmarks/encoding_bench.py):
# "mci" (motion-compensated, adaptive overlapped block MC, bidirectional ME, variable-size
# blocks) 25.1 dB on the made frames, "blend" (cross-fade of neighbours) 20.0 dB, repeating
# frames 16.8 dB; mci costs about 8x blend's CPU time (ffmpeg runs minterpolate on one
# thread). mci is the default: smooth motion is the point of a higher rate; blend is there
# for installations whose CPUs are the bottleneck.
INTERPOLATION_FILTER = "minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"
BLEND_FILTER = "minterpolate=fps={fps}:mi_mode=blend"

INTERPOLATION_MODES = {"mci": INTERPOLATION_FILTER, "blend": BLEND_FILTER}

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


# Per output: the codec's options and the last filters of its branch.
OUTPUT_OPTIONS = {
    # faststart puts the index first so players (and <video> tags) start before the end.
    "mp4": ["-c:v", "libx264", "-crf", "18", "-preset", "medium", "-movflags", "+faststart"],
    "webm": ["-c:v", "libvpx-vp9", "-crf", "33", "-b:v", "0", "-deadline", "good", "-cpu-used", "4", "-row-mt", "1"],
    "preview": ["-c:v", "libwebp_anim", "-loop", "0", "-quality", "55", "-compression_level", "4", "-f", "webp"],
}


def _branch_filters(output: str, delivery: Delivery) -> list[str]:
    if output != "preview":
        return ["format=yuv420p"]
    width = min(PREVIEW_WIDTH, delivery.width) // 2 * 2
    height = max(2, round(delivery.height * width / delivery.width / 2) * 2)
    return [
        f"trim=end_frame={delivery.fps * PREVIEW_SECONDS + 1}",
        f"fps={PREVIEW_FPS}",
        f"scale={width}:{height}:flags=bicubic",
        "setsar=1",
        "format=yuv420p",
    ]


def ffmpeg_command(render: tuple[int, int], fps: int, delivery: Delivery, outputs: dict[str, Path], *,
                   interpolation: str = "") -> list[str]:  # fmt: skip
    """One ffmpeg run for every output: raw frames in once, the frame rate and size made
    once, then split into one branch per output (the interpolation, the costly part, is not
    repeated for the WebM or the preview)."""
    import imageio_ffmpeg

    names = list(outputs)
    shared = ",".join(video_filters(render, fps, delivery, interpolation=interpolation)) or "null"
    graph = [f"[0:v]{shared},split={len(names)}" + "".join(f"[s{i}]" for i in range(len(names)))]
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", "-nostdin"]
    command += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{render[0]}x{render[1]}", "-r", str(fps), "-i", "pipe:0"]
    outs: list[str] = []
    for index, name in enumerate(names):
        graph.append(f"[s{index}]{','.join(_branch_filters(name, delivery))}[o{index}]")
        outs += ["-map", f"[o{index}]", "-an", *OUTPUT_OPTIONS[name]]
        if name != "preview" and delivery.frames:
            outs += ["-frames:v", str(delivery.frames)]
        outs.append(str(outputs[name]))
    return [*command, "-filter_complex", ";".join(graph), *outs]


def encode(frames: Any, fps: int, delivery: Delivery | None, outputs: dict[str, Path], *,
           interpolation: str = "") -> None:  # fmt: skip
    """Encode uint8 frames [F, H, W, 3] rendered at `fps` into each of `outputs`
    ({"mp4" | "webm" | "preview": path}) in the delivered size, fit and frame rate."""
    import subprocess

    delivery = delivery or _as_rendered(frames, fps)
    command = ffmpeg_command(_size_of(frames), fps, delivery, outputs, interpolation=interpolation)
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for frame in frames:
            process.stdin.write(frame.tobytes())
        process.stdin.close()
    except (BrokenPipeError, OSError):
        pass  # ffmpeg stopped reading: its exit status and message say why
    errors = process.stderr.read().decode(errors="replace")
    if process.wait() != 0:
        raise EncodingError(f"ffmpeg could not encode the video: {errors.strip()[-1000:] or process.returncode}")


def write_mp4(frames: Any, fps: int, path: Path, delivery: Delivery | None = None, *, interpolation: str = "") -> None:
    """The delivered H.264 MP4 (yuv420p, faststart)."""
    encode(frames, fps, delivery, {"mp4": path}, interpolation=interpolation)


def write_webm(frames: Any, fps: int, path: Path, delivery: Delivery | None = None, *, interpolation: str = "") -> None:
    """The same delivery as a VP9 WebM (constant quality, row multithreading)."""
    encode(frames, fps, delivery, {"webm": path}, interpolation=interpolation)


def write_preview(frames: Any, fps: int, path: Path, delivery: Delivery | None = None) -> None:
    """A small looping animated WebP of the first seconds, in the delivered framing, 8 fps."""
    encode(frames, fps, delivery, {"preview": path})


def fit_image(image: Any, width: int, height: int, fit: str = DEFAULT_FIT, pad_color: str = DEFAULT_PAD_COLOR) -> Any:
    """A PIL image fitted to width x height by the delivery's rules (size_filters): crop
    (scale to cover, cut the middle), pad (scale to fit, letterbox in pad_color) or stretch.
    The poster is made with it, and an image-to-video input is fitted to the render size."""
    from PIL import Image, ImageOps

    size = (width, height)
    if image.size == size:
        return image
    if fit == "crop":
        return ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    if fit == "pad":
        return ImageOps.pad(image, size, Image.Resampling.LANCZOS, color=pad_color)
    return image.resize(size, Image.Resampling.LANCZOS)


def write_poster(frames: Any, path: Path, delivery: Delivery | None = None) -> None:
    from PIL import Image

    image = Image.fromarray(frames[len(frames) // 2])
    if delivery is not None:
        image = fit_image(image, delivery.width, delivery.height, delivery.fit, delivery.pad_color)
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
