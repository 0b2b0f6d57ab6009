"""Frames to files: an H.264 MP4 (yuv420p, faststart) and a JPEG poster."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


class EncodingError(Exception):
    code = "encoding_failed"


def write_mp4(frames: Any, fps: int, path: Path) -> None:
    """Encode uint8 frames [F, H, W, 3] with the ffmpeg binary that imageio-ffmpeg ships."""
    import imageio_ffmpeg

    count, height, width, _channels = frames.shape
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        fps=fps,
        codec="libx264",
        pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p",
        quality=None,
        macro_block_size=1,
        ffmpeg_log_level="error",
        # faststart puts the index first so players (and <video> tags) start before the end.
        output_params=["-crf", "18", "-preset", "medium", "-movflags", "+faststart"],
    )
    try:
        writer.send(None)
        for index in range(count):
            writer.send(frames[index].tobytes())
        writer.close()
    except (OSError, RuntimeError) as exc:
        raise EncodingError(f"ffmpeg could not encode the video: {exc}") from exc


def write_poster(frames: Any, path: Path) -> None:
    from PIL import Image

    Image.fromarray(frames[len(frames) // 2]).save(path, format="JPEG", quality=88)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
