"""Same-request reuse: an explicit-seed request whose generation parameters are identical to
a video its owner already has is answered at once with that video, with no GPU work. This
module only reads (the key, the lookup); the reusing job is created by services.create_job.

Generation is deterministic for a given model, revision, prompt, size, frame count, steps,
guidance, seed and speed levers, so running it again would only produce the same file
again. A request without a seed gets a random one and always generates.

The model: Video stays one-to-one with the job that produced it (its file, its owner). The
reusing job is a normal VideoJob row, completed at creation, whose `reused_from` points at the
existing Video; `VideoJob.result_video` and the status body read through it, so the answer
carries the existing `video_id` and the same file, and nothing is copied. Reuse stays within
one owner's videos: the download permission (videos/access.py) is by owner, and another
user's videos are never revealed, not even by how fast an answer comes back.
"""

from __future__ import annotations

from django.conf import settings

from .canonical_json import digest
from .generation.acceleration import AccelerationOptions
from .job_specs import JobSpec
from .models import JobStatus, Video, VideoJob

# The params that decide the files: the rendered size and the delivered one (size, fit, pad
# colour, frame rate, formats). Not in the key: `enhance_quality` (already resolved into
# the steps) and the device / memory mode (where the weights sit, not what they compute).
PIXEL_PARAMS = (
    "model",
    "profile",
    "width",
    "height",
    "render_width",
    "render_height",
    "fit",
    "pad_color",
    "num_frames",
    "fps",
    "interpolation",
    "formats",
    "num_inference_steps",
    "guidance_scale",
    "use_dynamic_cfg",
    "seed",
    "image_sha256",  # image-to-video: the input image's digest (its fit is in fit/pad_color)
)


def reuse_key(spec: JobSpec) -> str:
    """A digest of everything that determines the video. Every job stores one (a video made
    with a random seed can be asked for again by its reported seed); only explicit-seed
    requests look it up."""
    params = spec.params
    levers = AccelerationOptions.from_settings()
    identity = {
        **{name: params.get(name) for name in PIXEL_PARAMS},
        "model_revision": settings.COGVIDEO_MODEL_REVISION or "",
        "prompt": spec.prompt,
        "negative_prompt": spec.negative_prompt,
        # Cache methods and quantization change the pixels, so a video made with other levers
        # is not "the same request".
        "cache_method": levers.cache_method,
        "quantize": levers.quantize,
    }
    return digest(identity)


def find_reusable_video(owner, spec: JobSpec, key: str) -> Video | None:
    """The owner's newest completed video made from the same request (an indexed lookup), or
    None. A request without a seed always generates: it asked for a new random video."""
    if not key or not spec.params.get("seed_given"):
        return None
    job = (
        VideoJob.objects.filter(owner=owner, reuse_key=key, status=JobStatus.COMPLETED, video__isnull=False)
        .select_related("video")
        .order_by("-finished_at")
        .first()
    )
    return job.video if job is not None else None
