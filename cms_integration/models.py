"""CMS sites that receive signed webhooks, and the log of every delivery."""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models


def generate_webhook_secret() -> str:
    """Standard Webhooks format: "whsec_" + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class CmsSite(models.Model):
    """A content system (a WordPress site, say) that orders videos with its owner's API token
    and wants to hear when they are done."""

    name = models.CharField(max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cms_sites",
        help_text="The account whose API token the site uses; its jobs notify this site.",
    )
    webhook_url = models.URLField(
        max_length=2000,
        help_text="Default webhook URL, used for the owner's jobs that carry no callback_url. "
        "For the WordPress plugin: https://your-site/wp-json/cogvideox/v1/webhook",
    )
    secret = models.CharField(
        max_length=128,
        default=generate_webhook_secret,
        help_text="Signs every webhook (HMAC-SHA256). Paste it into the CMS (WordPress: Settings -> CogVideoX).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "CMS site"

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


class WebhookDelivery(models.Model):
    """One event for one URL. Every HTTP attempt is a WebhookAttempt; all attempts carry the
    same webhook-id, so the receiver can drop duplicates."""

    message_id = models.CharField(max_length=64, unique=True, default=new_message_id, editable=False)
    site = models.ForeignKey(CmsSite, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    job = models.ForeignKey(
        "videos.VideoJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )
    event_type = models.CharField(max_length=64)
    url = models.URLField(max_length=2000)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.url} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error[:40]}"
