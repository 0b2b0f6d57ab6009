"""A description of the machine a benchmark ran on, stored with every result."""

from __future__ import annotations

import os
import platform
from importlib import metadata


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def describe_machine(include_gpu: bool = True) -> dict:
    """CPU, memory, GPU (when torch sees one), library versions, and the load average: on a
    shared machine the load says how much the numbers can be trusted."""
    info: dict = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "versions": {name: _version(name) for name in ("torch", "diffusers", "transformers", "torchao", "django")},
        "gpu": None,
    }
    if include_gpu:
        import torch

        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            info["gpu"] = {
                "name": props.name,
                "memory_bytes": props.total_memory,
                "count": torch.cuda.device_count(),
                "cuda": torch.version.cuda,
            }
    return info


def machine_line(info: dict) -> str:
    gpu = info.get("gpu")
    device = f"{gpu['name']} ({gpu['memory_bytes'] / 2**30:.0f} GiB)" if gpu else "no GPU"
    memory = f"{info['memory_bytes'] / 2**30:.0f} GiB RAM" if info.get("memory_bytes") else ""
    load = ", ".join(str(value) for value in info.get("load_average", []))
    return (
        f"{info['cpu']} x{info['cpus_usable']} usable, {memory}, {device}; torch {info['versions'].get('torch')}, "
        f"diffusers {info['versions'].get('diffusers')}; load average at start {load}"
    )
