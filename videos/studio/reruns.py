"""New jobs made from old ones: "retry" and "same seed again" keep every parameter, "new
seed" keeps all but the seed. The request is rebuilt from the job's resolved parameters and
goes through the same serializer and service as an API request, so the rules (bounds,
queue caps, the current model's limits) are checked exactly once, in one place."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError

from ..api.serializers import GenerateRequestSerializer
from ..models import VideoJob
from ..services import create_job


def rerun_request(job: VideoJob, *, new_seed: bool) -> dict:
    params = job.params or {}
    body: dict = {
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "duration": params.get("duration"),
        "resolution": params.get("resolution"),
        "enhance_quality": params.get("enhance_quality"),
        "num_inference_steps": params.get("num_inference_steps"),
        "guidance_scale": params.get("guidance_scale"),
        "seed": None if new_seed else params.get("seed"),
        "metadata": job.metadata or {},
    }
    # Keep the template link for the record while it is still usable; the prompt is
    # already rendered, so the text stays exactly the same either way.
    if job.template_id and job.template and job.template.is_active:
        body["template"] = job.template.slug
        body["variables"] = job.variables or {}
    return {key: value for key, value in body.items() if value is not None}


def rerun_job(job: VideoJob, *, new_seed: bool, source: str) -> VideoJob:
    """Queue a copy of `job` for the job's owner. Raises rest_framework ValidationError when
    the old parameters no longer fit (e.g. the model changed) and services.ServiceError when
    a queue cap is reached."""
    serializer = GenerateRequestSerializer(data=rerun_request(job, new_seed=new_seed))
    if not serializer.is_valid():
        raise ValidationError(serializer.errors)
    new_job, _created = create_job(job.owner, serializer.validated_data, source=source)
    return new_job
