"""Inspect MP4 files with ffprobe (Debian's ffmpeg package, installed by the test command), and
list stored media through Django's storage API (a local folder or an object store alike)."""

from __future__ import annotations

import json
import posixpath
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


def stored_names(folder: str) -> list[str]:
    """Every file under `folder` in the default storage, by its storage name."""
    from django.core.files.storage import default_storage

    try:
        subfolders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [posixpath.join(folder, name) for name in files]
    for sub in subfolders:
        names += stored_names(posixpath.join(folder, sub))
    return names
