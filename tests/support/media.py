"""Inspect MP4 files with ffprobe (Debian's ffmpeg package, installed by the test command)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def probe_video(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_streams", "-show_format",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    data = json.loads(out)
    stream = data["streams"][0]
    num, den = (int(x) for x in stream["r_frame_rate"].split("/"))
    return {
        "codec": stream["codec_name"],
        "pix_fmt": stream["pix_fmt"],
        "width": stream["width"],
        "height": stream["height"],
        "frames": int(stream["nb_read_frames"]),
        "fps": num / den,
        "format": data["format"]["format_name"],
    }


def moov_before_mdat(path: Path) -> bool:
    """faststart: the index atom comes before the media data."""
    data = Path(path).read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")
