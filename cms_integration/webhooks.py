"""Signed webhooks (Standard Webhooks format) for finished jobs.

    webhook-id:        msg_<hex>, the same for every attempt of one delivery
    webhook-timestamp: Unix seconds of the attempt
    webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body" keyed with the secret>

Flow: videos.signals.job_finished -> queue_job_webhook() records a WebhookDelivery and, once
the transaction commits, enqueues deliver_webhook on django-q2. attempt_delivery() makes one
HTTP attempt, logs it, and on failure schedules the next one with backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from videos import egress
from videos.isotime import iso_z
from videos.models import JobStatus, VideoJob
from videos.selectors import job_status_body

from .models import CmsSite, DeliveryStatus, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

# The delays before attempts 2, 3, ... are settings.COGVIDEO_WEBHOOK_BACKOFF.
# The receiver may import the video before answering (the WordPress plugin does).
TIMEOUT_SECONDS = 20.0
# Only an excerpt of the receiver's answer is logged; the rest is not read.
RESPONSE_MAX_BYTES = 4096
USER_AGENT = "CogVideoX-Studio-Webhooks/1"

EVENT_TYPES = {
    JobStatus.COMPLETED: "video.completed",
    JobStatus.FAILED: "video.failed",
    JobStatus.CANCELED: "video.canceled",
}


def backoff_schedule() -> tuple[int, ...]:
    return tuple(settings.COGVIDEO_WEBHOOK_BACKOFF)


def max_attempts() -> int:
    return len(backoff_schedule()) + 1


# --- signing -----------------------------------------------------------------------------------


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: "whsec_" + base64 decodes to bytes; anything else is used as is."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except ValueError:
            pass
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


# --- which site hears about a job ---------------------------------------------------------------


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def site_for_job(job: VideoJob) -> CmsSite | None:
    """The owner's site whose webhook URL shares the job's callback origin, else the owner's
    first active site."""
    sites = list(CmsSite.objects.filter(owner_id=job.owner_id, is_active=True).order_by("created_at", "pk"))
    if not sites:
        return None
    if job.callback_url:
        origin = _origin(job.callback_url)
        for site in sites:
            if _origin(site.webhook_url) == origin:
                return site
    return sites[0]


def event_payload(job: VideoJob) -> dict:
    return {
        "type": EVENT_TYPES.get(job.status, f"video.{job.status}"),
        "timestamp": iso_z(timezone.now()),
        "data": job_status_body(job),
    }


def queue_job_webhook(job: VideoJob) -> WebhookDelivery | None:
    """Record the delivery for a finished job and enqueue its first attempt (after commit)."""
    site = site_for_job(job)
    url = job.callback_url or (site.webhook_url if site else "")
    if not url:
        return None  # Nobody asked to be told.
    delivery = WebhookDelivery.objects.create(
        site=site, job=job, event_type=EVENT_TYPES.get(job.status, f"video.{job.status}"), url=url,
        payload=event_payload(job),
    )  # fmt: skip
    if site is None:
        # A callback_url but no registered site: there is no secret to sign with.
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = (
            "No active CMS site is registered for this account, so the webhook cannot be signed. "
            "Register one in the admin (CMS integration -> CMS sites)."
        )
        delivery.save(update_fields=["status", "last_error"])
        logger.warning("webhook for job %s not sent: owner %s has no CMS site", job.pk, job.owner_id)
        return delivery
    transaction.on_commit(lambda: enqueue_attempt(delivery.pk))
    return delivery


def enqueue_attempt(delivery_pk: int, delay_seconds: int = 0) -> None:
    from django_q.models import Schedule
    from django_q.tasks import async_task, schedule

    if delay_seconds <= 0:
        async_task(
            "cms_integration.tasks.deliver_webhook",
            delivery_pk,
            task_name=f"webhook-{delivery_pk}",
            cluster=settings.COGVIDEO_EVENTS_QUEUE,
        )
    else:
        schedule(
            "cms_integration.tasks.deliver_webhook", delivery_pk,
            name=f"webhook-{delivery_pk}-{int(time.time() * 1000)}",
            schedule_type=Schedule.ONCE, repeats=1,
            next_run=timezone.now() + timedelta(seconds=delay_seconds),
            cluster=settings.COGVIDEO_EVENTS_QUEUE,
        )  # fmt: skip


# --- delivering --------------------------------------------------------------------------------


def _excerpt(text: str, limit: int = 500) -> str:
    return text[:limit]


def attempt_delivery(delivery_pk: int) -> WebhookDelivery:
    """One HTTP attempt. 2xx: delivered. Anything else: retry later with backoff, or failed
    once the attempts are used up. Safe to call twice: a finished delivery is left alone."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("site").get(pk=delivery_pk)
        if delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
            return delivery
        if delivery.site is None or not delivery.site.is_active:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "The CMS site was removed or deactivated."
            delivery.save(update_fields=["status", "last_error"])
            return delivery
        delivery.attempts += 1
        number = delivery.attempts
        delivery.save(update_fields=["attempts"])

    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = signed_headers(delivery.site.secret, delivery.message_id, body)
    status_code: int | None = None
    error = ""
    excerpt = ""
    started = time.monotonic()
    # A job's own callback_url (user input) goes through the egress rules again at delivery,
    # not only when the job was created, and the connection is pinned to the address checked
    # now (DNS rebinding cannot aim it inside). A registered site's URL is the operator's
    # configuration: any address, still pinned, bounded and without redirects.
    own_site = delivery.url == delivery.site.webhook_url
    try:
        response = egress.request(
            "POST", delivery.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS,
            max_bytes=RESPONSE_MAX_BYTES, truncate=True,
            policy=egress.OPERATOR_CONFIGURED if own_site else None,
            field="webhook URL" if own_site else "callback_url",
        )  # fmt: skip
        status_code = response.status_code
        excerpt = _excerpt(response.text)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except egress.EgressRefused as exc:
        status_code = exc.status_code
        error = f"Refused: {exc}"
    except egress.EgressError as exc:
        status_code = exc.status_code
        error = str(exc)
    duration_ms = int((time.monotonic() - started) * 1000)

    WebhookAttempt.objects.create(
        delivery=delivery, number=number, status_code=status_code, error=error, duration_ms=duration_ms,
        response_excerpt=excerpt,
    )  # fmt: skip
    delivery.last_status_code = status_code
    delivery.last_error = error
    if not error:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif number >= max_attempts():
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        logger.warning(
            "webhook %s to %s failed after %s attempts: %s", delivery.message_id, delivery.url, number, error
        )
    else:
        delay = backoff_schedule()[number - 1]
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        transaction.on_commit(lambda: enqueue_attempt(delivery.pk, delay))
    delivery.save(update_fields=["status", "last_status_code", "last_error", "delivered_at", "next_attempt_at"])
    return delivery


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Admin action: start over with a fresh set of attempts (same webhook-id)."""
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    transaction.on_commit(lambda: enqueue_attempt(delivery.pk))
    return delivery
