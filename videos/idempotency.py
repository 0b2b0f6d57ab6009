"""Idempotency-Key support: the first successful answer is stored per user, key and scope
and replayed to retries; the same key with a different request is a conflict (409)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import IdempotencyRecord
from .services import IdempotencyConflict


def _cutoff():
    return timezone.now() - timedelta(hours=settings.COGVIDEO_IDEMPOTENCY_HOURS)


def _fresh(user, key: str, scope: str):
    return IdempotencyRecord.objects.filter(owner=user, key=key, scope=scope, created_at__gte=_cutoff()).first()


def lookup(user, key: str, scope: str, fingerprint: str) -> IdempotencyRecord | None:
    record = _fresh(user, key, scope)
    if record is not None and record.fingerprint != fingerprint:
        raise IdempotencyConflict("This Idempotency-Key was already used with a different request.")
    return record


def remember(user, key: str, scope: str, fingerprint: str, status_code: int, body: dict) -> IdempotencyRecord:
    """Store the answer; if a concurrent request stored one first, that one wins."""
    IdempotencyRecord.objects.filter(owner=user, key=key, scope=scope).exclude(created_at__gte=_cutoff()).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                owner=user, key=key, scope=scope, fingerprint=fingerprint, status_code=status_code, body=body
            )
    except IntegrityError:
        return IdempotencyRecord.objects.get(owner=user, key=key, scope=scope)
