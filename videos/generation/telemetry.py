"""What a worker reports about its device in each heartbeat (read by monitoring/).

Called only with a loaded engine, so torch is already imported and CUDA already initialised
in this (worker) process; the web process never calls it.
"""

from __future__ import annotations

import logging
import platform
from typing import Any

logger = logging.getLogger(__name__)

EMPTY = {
    "device_name": "",
    "model_load_seconds": None,
    "gpu_memory_allocated_bytes": None,
    "gpu_memory_reserved_bytes": None,
    "gpu_memory_peak_bytes": None,
    "gpu_memory_free_bytes": None,
    "gpu_memory_total_bytes": None,
}


def engine_telemetry(engine: Any | None) -> dict:
    if engine is None:
        return dict(EMPTY)
    fields = {**EMPTY, "model_load_seconds": round(engine.load_seconds, 3)}
    if not engine.device.startswith("cuda"):
        fields["device_name"] = (platform.processor() or platform.machine() or "cpu")[:128]
        return fields
    import torch

    try:
        device = torch.device(engine.device)
        free, total = torch.cuda.mem_get_info(device)
        fields.update(
            device_name=torch.cuda.get_device_name(device)[:128],
            gpu_memory_allocated_bytes=torch.cuda.memory_allocated(device),
            gpu_memory_reserved_bytes=torch.cuda.memory_reserved(device),
            gpu_memory_peak_bytes=torch.cuda.max_memory_allocated(device),
            gpu_memory_free_bytes=free,
            gpu_memory_total_bytes=total,
        )
    except Exception:  # noqa: BLE001 - a telemetry hiccup must never stop the heartbeat
        logger.warning("could not read GPU memory of %s", engine.device, exc_info=True)
    return fields
