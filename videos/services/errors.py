"""What a service refuses with. Each error carries the HTTP status and code the API answers
with (videos/api/errors.py); the admin, studio and commands show `message`."""

from __future__ import annotations


class ServiceError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra


class QueueFull(ServiceError):
    code = "queue_full"
    status = 503


class StorageFull(ServiceError):
    code = "storage_full"
    status = 503


class StorageUnavailable(ServiceError):
    """The media storage (an object store) failed a write: nothing was accepted."""

    code = "storage_unavailable"
    status = 503


class TooManyQueued(ServiceError):
    code = "too_many_queued"
    status = 429


class RateLimited(ServiceError):
    code = "throttled"
    status = 429


class IdempotencyConflict(ServiceError):
    code = "idempotency_conflict"
    status = 409


class JobNotCancelable(ServiceError):
    code = "not_cancelable"
    status = 409


class JobNotRetryable(ServiceError):
    code = "not_retryable"
    status = 409


class VideoInUse(ServiceError):
    code = "video_in_use"
    status = 409
