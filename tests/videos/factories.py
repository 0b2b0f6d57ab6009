"""Create jobs the way the API does (through the validator and the service)."""

from __future__ import annotations

from videos.job_specs import parse_generate_request
from videos.services import create_job

TINY = {"prompt": "a red fox running through snow", "duration": 1, "resolution": "64x64", "num_inference_steps": 2}


def make_job(owner, priority: int = 0, **overrides):
    job, _ = create_job(owner, parse_generate_request({**TINY, **overrides}), priority=priority)
    return job
