"""Every write to jobs and videos. Callers (API, admin, studio, commands, tasks, the worker)
import this package and call `services.<name>`; the modules behind it are:

- errors.py: what a service refuses with (ServiceError and its kinds, with HTTP status/code);
- create.py: new jobs (the rate of new jobs, caps, idempotency, same-request reuse, reruns), enqueued on commit;
- idempotency.py: the one Idempotency-Key policy (window, stored answers, job binding);
- lifecycle.py: claim, progress, complete, fail, cancel, retry: conditional updates;
- recovery.py: the reaper (stale jobs requeued or failed, lost wake-ups resent);
- tokens.py: API tokens (issued once as text, stored as digests; rotated, revoked, scoped quotas);
- logins.py: failed sign-ins on the login pages (counted, forgotten, unlocked);
- purge.py: deleting old jobs, their videos and files;
- history.py: an owner deleting one of their videos (with its job and files) from the studio.
"""

from . import idempotency
from .create import RATE_LIMITED_SOURCES, check_generate_rate, create_job, request_fingerprint, rerun_job, rerun_request
from .errors import (
    IdempotencyConflict,
    JobNotCancelable,
    JobNotRetryable,
    QueueFull,
    RateLimited,
    ServiceError,
    StorageFull,
    StorageUnavailable,
    TooManyQueued,
    VideoInUse,
)
from .history import delete_video
from .lifecycle import (
    BACK_TO_QUEUE,
    CANCELABLE,
    RETRYABLE,
    add_warning,
    cancel_job,
    claim_next_job,
    complete_job,
    enqueue_job,
    fail_job,
    record_cancel_point,
    record_live_preview,
    record_params,
    report_progress,
    retry_job,
    send_finished,
    still_running,
    touch_heartbeat,
    wake_up_if_waiting,
)
from .logins import Cleared, forget_account_failures, record_failed_login, unlock_logins
from .purge import PurgeResult, purge, purgeable_jobs
from .recovery import reap, requeue_stale_jobs, resend_lost_wakeups
from .tokens import (
    IssuedToken,
    TokenNotAllowed,
    TokenQuotaExceeded,
    check_job_quota,
    issue_account_token,
    issue_scoped_token,
    revoke_tokens,
    rotate_account_token,
    touch_token,
)

__all__ = [
    "IssuedToken",
    "TokenNotAllowed",
    "TokenQuotaExceeded",
    "check_job_quota",
    "issue_account_token",
    "issue_scoped_token",
    "revoke_tokens",
    "rotate_account_token",
    "touch_token",
    "Cleared",
    "forget_account_failures",
    "record_failed_login",
    "unlock_logins",
    "BACK_TO_QUEUE",
    "CANCELABLE",
    "RETRYABLE",
    "IdempotencyConflict",
    "idempotency",
    "JobNotCancelable",
    "JobNotRetryable",
    "PurgeResult",
    "RATE_LIMITED_SOURCES",
    "RateLimited",
    "QueueFull",
    "ServiceError",
    "StorageFull",
    "StorageUnavailable",
    "TooManyQueued",
    "VideoInUse",
    "delete_video",
    "add_warning",
    "cancel_job",
    "check_generate_rate",
    "claim_next_job",
    "complete_job",
    "create_job",
    "enqueue_job",
    "fail_job",
    "purge",
    "purgeable_jobs",
    "reap",
    "record_cancel_point",
    "record_params",
    "record_live_preview",
    "report_progress",
    "request_fingerprint",
    "rerun_job",
    "rerun_request",
    "requeue_stale_jobs",
    "resend_lost_wakeups",
    "retry_job",
    "send_finished",
    "still_running",
    "touch_heartbeat",
    "wake_up_if_waiting",
]
