"""Signed webhooks for finished jobs: who gets them, how they are signed, retries with
backoff, the delivery log, the admin and the registration command.

Deliveries go over real HTTP to a small receiver in this process that checks signatures with
its own implementation of the Standard Webhooks scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from cms_integration import webhooks
from cms_integration.models import CmsSite, DeliveryStatus, WebhookDelivery, generate_webhook_secret
from tests.videos import test_egress
from tests.videos.factories import make_job
from videos import worker
from videos.models import JobStatus, VideoJob
from videos.signals import job_finished


class Receiver:
    """An HTTP endpoint that answers with the queued status codes and records what it got."""

    def __init__(self):
        self.requests: list[dict] = []
        self.codes: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                code = outer.codes.pop(0) if outer.codes else 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"received": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def verify(secret: str, request: dict, tolerance: int = 300) -> dict:
    """Standard Webhooks verification, written independently of cms_integration.webhooks."""
    headers = request["headers"]
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    assert abs(time.time() - int(timestamp)) <= tolerance
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{timestamp}.".encode() + request["body"], hashlib.sha256).digest()
    ).decode()
    signatures = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    assert any(hmac.compare_digest(expected, s) for s in signatures), "bad signature"
    return json.loads(request["body"])


def finish(job: VideoJob, status=JobStatus.COMPLETED) -> VideoJob:
    """Mark a job finished the cheap way and announce it as the services do."""
    VideoJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(), progress=100)
    job.refresh_from_db()
    job_finished.send(sender=VideoJob, job=job)
    return job


@pytest.fixture
def allow_private_callbacks(settings):
    settings.COGVIDEO_ALLOW_PRIVATE_CALLBACKS = True


@pytest.fixture
def site(owner, receiver):
    return CmsSite.objects.create(name="Blog", owner=owner, webhook_url=receiver.url)


def test_signature_matches_the_standard_webhooks_test_vector():
    body = b'{"test": 2432232314}'
    signature = webhooks.sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_generated_secrets_are_whsec_base64_of_24_random_bytes():
    first, second = generate_webhook_secret(), generate_webhook_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 24


def test_real_job_run_by_the_worker_sends_a_signed_completed_webhook(
    owner, site, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = make_job(owner, prompt="a kite over hills")
    with django_capture_on_commit_callbacks(execute=True):
        assert worker.run_next_job() == str(job.id)
    delivery = WebhookDelivery.objects.get(job=job)
    assert (delivery.site, delivery.url, delivery.event_type) == (site, receiver.url, "video.completed")
    # The first attempt went on the django-q2 queue.
    queued = [q.task for q in OrmQ.objects.all()]
    assert any(t["func"] == "cms_integration.tasks.deliver_webhook" and t["args"] == (delivery.pk,) for t in queued)

    delivery = webhooks.attempt_delivery(delivery.pk)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1 and delivery.last_status_code == 200
    event = verify(site.secret, receiver.requests[0])
    assert event["type"] == "video.completed"
    data = event["data"]
    assert data["task_id"] == str(job.id) and data["status"] == "completed"
    assert data["video_id"] and data["video_url"].endswith(f"/api/download/{data['video_id']}")
    assert receiver.requests[0]["headers"]["webhook-id"] == delivery.message_id


@pytest.mark.parametrize("status,event", [(JobStatus.FAILED, "video.failed"), (JobStatus.CANCELED, "video.canceled")])
def test_failed_and_canceled_jobs_are_announced_too(owner, site, status, event):
    job = finish(make_job(owner), status)
    assert WebhookDelivery.objects.get(job=job).event_type == event


def test_failure_is_retried_with_backoff_under_the_same_message_id(
    owner, site, receiver, django_capture_on_commit_callbacks, settings
):
    settings.COGVIDEO_WEBHOOK_BACKOFF = (7, 60)
    receiver.codes = [500]
    delivery = WebhookDelivery.objects.get(job=finish(make_job(owner)))

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhooks.attempt_delivery(delivery.pk)
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    assert before + timedelta(seconds=6) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=8)
    retry = Schedule.objects.get(func="cms_integration.tasks.deliver_webhook")
    assert retry.schedule_type == Schedule.ONCE
    assert abs((retry.next_run - delivery.next_attempt_at).total_seconds()) < 2

    delivery = webhooks.attempt_delivery(delivery.pk)  # what the scheduled task runs
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 200]
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert ids == {delivery.message_id}
    for request in receiver.requests:
        verify(site.secret, request)


def test_gives_up_after_the_last_attempt(owner, site, receiver, settings):
    settings.COGVIDEO_WEBHOOK_BACKOFF = (1,)
    receiver.codes = [503, 410]
    delivery = WebhookDelivery.objects.get(job=finish(make_job(owner)))
    assert webhooks.attempt_delivery(delivery.pk).status == DeliveryStatus.RETRYING
    delivery = webhooks.attempt_delivery(delivery.pk)
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert [a.status_code for a in delivery.attempt_log.all()] == [503, 410]
    # A finished delivery is not attempted again.
    assert webhooks.attempt_delivery(delivery.pk).attempts == 2
    assert len(receiver.requests) == 2


def test_unreachable_endpoint_is_logged_and_retried(owner):
    CmsSite.objects.create(name="Down", owner=owner, webhook_url="http://127.0.0.1:9/hook")
    delivery = WebhookDelivery.objects.get(job=finish(make_job(owner)))
    delivery = webhooks.attempt_delivery(delivery.pk)
    assert delivery.status == DeliveryStatus.RETRYING
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None and "ConnectError" in attempt.error


def test_job_callback_url_wins_and_is_signed_with_the_owners_site(owner, site, receiver, allow_private_callbacks):
    other = Receiver()
    try:
        job = finish(make_job(owner, callback_url=other.url))
        delivery = WebhookDelivery.objects.get(job=job)
        assert delivery.url == other.url and delivery.site == site
        webhooks.attempt_delivery(delivery.pk)
        assert not receiver.requests
        verify(site.secret, other.requests[0])
    finally:
        other.close()


def test_site_with_the_callbacks_origin_is_preferred(owner, site, receiver, allow_private_callbacks):
    second = CmsSite.objects.create(name="Second", owner=owner, webhook_url="http://127.0.0.2:8080/wp-json/x")
    job = finish(make_job(owner, callback_url="http://127.0.0.2:8080/wp-json/cogvideox/v1/webhook"))
    assert WebhookDelivery.objects.get(job=job).site == second


def test_only_the_owners_sites_are_used(owner, stranger, receiver):
    CmsSite.objects.create(name="Not yours", owner=stranger, webhook_url=receiver.url)
    job = finish(make_job(owner))
    assert not WebhookDelivery.objects.filter(job=job).exists()


def test_callback_without_a_registered_site_is_logged_not_sent_unsigned(owner, receiver, allow_private_callbacks):
    job = finish(make_job(owner, callback_url=receiver.url))
    delivery = WebhookDelivery.objects.get(job=job)
    assert delivery.status == DeliveryStatus.FAILED and "No active CMS site" in delivery.last_error
    assert webhooks.attempt_delivery(delivery.pk).attempts == 0
    assert not receiver.requests


def test_inactive_sites_get_nothing(owner, site):
    site.is_active = False
    site.save()
    assert not WebhookDelivery.objects.filter(job=finish(make_job(owner))).exists()


def test_admin_lists_sites_and_deliveries_with_attempts(owner, site, receiver, staff, client):
    receiver.codes = [502]
    delivery = WebhookDelivery.objects.get(job=finish(make_job(owner)))
    webhooks.attempt_delivery(delivery.pk)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    page = client.get("/admin/cms_integration/cmssite/")
    assert page.status_code == 200 and "Blog" in page.content.decode()
    assert site.secret not in page.content.decode(), "the secret is not in the list"
    page = client.get(f"/admin/cms_integration/webhookdelivery/{delivery.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and delivery.message_id in html and "502" in html
    page = client.get(f"/admin/cms_integration/cmssite/{site.pk}/change/")
    assert owner.token[:12] in page.content.decode()
    assert owner.token not in page.content.decode(), "only a hint of the owner's token"

    response = client.post(
        "/admin/cms_integration/webhookdelivery/",
        {"action": "redeliver_selected", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0


def test_register_cms_site_command_prints_the_secret_last_and_updates_in_place(owner, capsys):
    call_command(
        "register_cms_site",
        owner.username,
        "--name",
        "WP",
        "--webhook-url",
        "http://127.0.0.1:8080/wp-json/cogvideox/v1/webhook",
    )
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    site = CmsSite.objects.get(owner=owner, name="WP")
    assert site.secret == secret
    CmsSite.objects.filter(pk=site.pk).update(is_active=False)
    call_command("register_cms_site", owner.username, "--name", "WP", "--webhook-url", "http://127.0.0.1:8081/hook")
    assert capsys.readouterr().out.strip().splitlines()[-1] == secret
    site.refresh_from_db()
    assert site.webhook_url == "http://127.0.0.1:8081/hook" and site.is_active
    call_command(
        "register_cms_site",
        owner.username,
        "--name",
        "WP",
        "--webhook-url",
        "http://127.0.0.1:8081/hook",
        "--new-secret",
    )
    assert CmsSite.objects.get(pk=site.pk).secret != secret


def test_callback_url_is_checked_again_when_delivering(owner, site, receiver, settings):
    # Accepted when the job was created (private callbacks allowed then), refused at delivery
    # once the address is no longer allowed: the same rule as DNS rebinding towards it.
    settings.COGVIDEO_ALLOW_PRIVATE_CALLBACKS = True
    job = finish(make_job(owner, callback_url=receiver.url + "/job-hook"))
    settings.COGVIDEO_ALLOW_PRIVATE_CALLBACKS = False
    delivery = WebhookDelivery.objects.get(job=job)
    webhooks.attempt_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused:") and "private" in delivery.last_error
    assert receiver.requests == []


# --- the egress rules at delivery (videos/egress.py) -------------------------------------------

names = test_egress.names  # the fixture: a rebinding resolver for test host names only
PUBLIC = test_egress.PUBLIC
EMBEDDED_LOOPBACK_HOSTS = ["[::127.0.0.1]", "[::7f00:1]", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]"]


@pytest.mark.parametrize("host", EMBEDDED_LOOPBACK_HOSTS)
def test_embedded_ipv4_callback_urls_are_refused_at_delivery(owner, site, receiver, settings, host):
    # Accepted at creation only because private callbacks were allowed then.
    settings.COGVIDEO_ALLOW_PRIVATE_CALLBACKS = True
    job = finish(make_job(owner, callback_url=f"http://{host}:{receiver.server.server_address[1]}/hook"))
    settings.COGVIDEO_ALLOW_PRIVATE_CALLBACKS = False
    delivery = webhooks.attempt_delivery(WebhookDelivery.objects.get(job=job).pk)
    assert delivery.last_error.startswith("Refused:") and "carrying 127.0.0.1" in delivery.last_error
    assert delivery.attempt_log.get().status_code is None
    assert receiver.requests == []


def test_a_rebinding_name_cannot_make_a_delivery_reach_the_listener(owner, site, receiver, names):
    port = receiver.server.server_address[1]
    names["rebind.test"] = [PUBLIC, PUBLIC, "127.0.0.1"]  # public at creation and at delivery, then loopback
    job = finish(make_job(owner, callback_url=f"http://rebind.test:{port}/hook"))
    delivery = webhooks.attempt_delivery(WebhookDelivery.objects.get(job=job).pk)
    assert delivery.status == DeliveryStatus.RETRYING and "ConnectError" in delivery.last_error
    assert names.lookups == ["rebind.test", "rebind.test"], "once at creation, once at delivery"
    assert names.connects == [(PUBLIC, port)]
    assert receiver.requests == []


def test_a_redirect_to_loopback_is_not_followed_by_a_delivery(owner, receiver):
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(307)
            self.send_header("Location", receiver.url)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        CmsSite.objects.create(name="Moved", owner=owner, webhook_url=f"http://127.0.0.1:{server.server_address[1]}/")
        delivery = webhooks.attempt_delivery(WebhookDelivery.objects.get(job=finish(make_job(owner))).pk)
    finally:
        server.shutdown()
        server.server_close()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.last_status_code == 307
    assert "redirects are not followed" in delivery.last_error
    assert receiver.requests == []
