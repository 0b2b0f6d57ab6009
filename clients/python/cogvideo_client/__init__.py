"""Python client for the CogVideoX Studio text-to-video API.

    from cogvideo_client import CogVideoClient

    client = CogVideoClient("http://localhost:7860", token="...")
    task = client.generate("A red fox running through fresh snow", duration=2)
    done = client.wait(task, on_progress=lambda t: print(f"{t.progress}%"))
    client.download(done.video_id, "fox.mp4")

Only dependency: httpx.
"""

from ._version import __version__
from .aio import AsyncCogVideoClient
from .batch import BatchProgress, BatchVideoProcessor
from .client import CogVideoClient
from .errors import (
    APIError,
    AuthError,
    CogVideoError,
    Conflict,
    ConnectionFailed,
    JobCanceled,
    JobFailed,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    Timeout,
    UnexpectedResponse,
    ValidationError,
)
from .models import ModelInfo, SystemStatus, Task, TaskPage
from .retry import RetryPolicy, parse_retry_after, robust_api_call
from .webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "APIError",
    "AsyncCogVideoClient",
    "AuthError",
    "BatchProgress",
    "BatchVideoProcessor",
    "CogVideoClient",
    "CogVideoError",
    "Conflict",
    "ConnectionFailed",
    "JobCanceled",
    "JobFailed",
    "ModelInfo",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailable",
    "SystemStatus",
    "Task",
    "TaskPage",
    "Timeout",
    "UnexpectedResponse",
    "ValidationError",
    "WebhookVerificationError",
    "__version__",
    "parse_retry_after",
    "robust_api_call",
    "verify_webhook",
]
