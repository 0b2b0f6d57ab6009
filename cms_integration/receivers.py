"""Signal receivers: a finished job becomes a webhook delivery."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from videos.signals import job_finished

from .webhooks import queue_job_webhook

logger = logging.getLogger(__name__)


@receiver(job_finished, dispatch_uid="cms_integration.queue_job_webhook")
def on_job_finished(sender, job, **kwargs) -> None:
    try:
        queue_job_webhook(job)
    except Exception:  # A webhook problem must never break the job's own bookkeeping.
        logger.exception("could not queue the webhook for job %s", job.pk)
