"""verify_webhook against what the service really sends (cms_integration.webhooks signs and
posts it), and against the changes an attacker or a slow queue makes."""

from __future__ import annotations

import time

import pytest
from cogvideo_client import WebhookVerificationError, verify_webhook

from cms_integration import webhooks


def test_accepts_a_real_delivery(real_delivery):
    secret, request = real_delivery
    event = verify_webhook(request["body"], request["headers"], secret)
    assert event["type"] == "video.failed" and event["data"]["status"] == "failed"
    # Header names in any case, the body as text: what web frameworks hand over.
    upper = {k.title(): v for k, v in request["headers"].items()}
    assert verify_webhook(request["body"].decode(), upper, secret) == event


def test_rejects_a_changed_body_a_wrong_secret_and_missing_headers(real_delivery):
    secret, request = real_delivery
    tampered = request["body"].replace(b'"failed"', b'"completed"', 1)
    assert tampered != request["body"]
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify_webhook(tampered, request["headers"], secret)
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify_webhook(request["body"], request["headers"], "whsec_" + "A" * 32)
    without = {k: v for k, v in request["headers"].items() if k != "webhook-signature"}
    with pytest.raises(WebhookVerificationError, match="missing header webhook-signature"):
        verify_webhook(request["body"], without, secret)


def test_rejects_a_stale_timestamp_even_when_correctly_signed(real_delivery):
    secret, request = real_delivery
    old = int(time.time()) - 301
    headers = webhooks.signed_headers(secret, request["headers"]["webhook-id"], request["body"], timestamp=old)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(request["body"], headers, secret)
    assert verify_webhook(request["body"], headers, secret, tolerance=600)["type"] == "video.failed"
    future = webhooks.signed_headers(secret, "msg_1", request["body"], timestamp=int(time.time()) + 301)
    with pytest.raises(WebhookVerificationError, match="too old or replayed"):
        verify_webhook(request["body"], future, secret)


def test_one_valid_signature_among_several_is_enough(real_delivery):
    secret, request = real_delivery
    real = request["headers"]["webhook-signature"]
    headers = dict(request["headers"], **{"webhook-signature": f"v1,bm90IGl0 v2,{real[3:]} {real}"})
    assert verify_webhook(request["body"], headers, secret)["type"] == "video.failed"
    headers["webhook-signature"] = f"v1,bm90IGl0 v2,{real[3:]}"  # the right digest, wrong version
    with pytest.raises(WebhookVerificationError):
        verify_webhook(request["body"], headers, secret)


def test_secrets_that_are_not_whsec_are_used_as_text_like_the_service_does():
    body = b'{"type": "video.completed", "data": {}}'
    headers = webhooks.signed_headers("plain secret", "msg_2", body)
    assert verify_webhook(body, headers, "plain secret")["type"] == "video.completed"
    # The Standard Webhooks test vector (the service's signer passes it too).
    vector = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
              "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}  # fmt: skip
    event = verify_webhook(b'{"test": 2432232314}', vector, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", now=1614265330)
    assert event == {"test": 2432232314}
