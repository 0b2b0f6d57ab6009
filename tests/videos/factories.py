"""Create jobs the way the API does (through the serializer and the service)."""

from __future__ import annotations

from videos.api.serializers import GenerateRequestSerializer
from videos.services import create_job

TINY = {"prompt": "a red fox running through snow", "duration": 1, "resolution": "64x64", "num_inference_steps": 2}


def make_job(owner, priority: int = 0, **overrides):
    serializer = GenerateRequestSerializer(data={**TINY, **overrides})
    serializer.is_valid(raise_exception=True)
    job, _ = create_job(owner, serializer.validated_data, priority=priority)
    return job
