"""django-q2 entry points. They only call services."""

from __future__ import annotations


def deliver_webhook(delivery_pk: int) -> str:
    from .webhooks import attempt_delivery

    return attempt_delivery(delivery_pk).status
