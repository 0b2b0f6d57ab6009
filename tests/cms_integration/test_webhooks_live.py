"""Webhooks through the real service processes: the worker finishes a job, django-q2 delivers
the signed webhook, and a failed delivery is retried by the cluster's scheduler."""

from __future__ import annotations

import json
import time

from tests.cms_integration.test_webhooks import Receiver, verify
from tests.support.live import tiny_job


def test_failed_delivery_is_retried_by_the_cluster_with_the_same_id(live):
    receiver = Receiver()
    try:
        receiver.codes = [503]  # first attempt fails, the retry succeeds
        token = live.create_token("webhook-live-owner")
        out = live.manage(
            "register_cms_site", "webhook-live-owner", "--name", "Live receiver", "--webhook-url", receiver.url
        ).stdout
        secret = out.strip().splitlines()[-1]

        with live.client(token) as client:
            answer = client.post("/api/generate", json=tiny_job())
            assert answer.status_code == 200, answer.text
            task_id = answer.json()["task_id"]
            assert live.wait_for(client, task_id)["status"] == "completed"

        deadline = time.monotonic() + 90
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(receiver.requests) == 2, f"{len(receiver.requests)} deliveries\n" + live.read_log("cluster")

        first, second = receiver.requests
        assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
        assert int(second["headers"]["webhook-timestamp"]) >= int(first["headers"]["webhook-timestamp"]) + 5, (
            "the retry waited for its backoff"
        )
        for request in receiver.requests:
            event = verify(secret, request)
            assert event["type"] == "video.completed"
            assert event["data"]["task_id"] == task_id and event["data"]["video_id"]
        assert json.loads(second["body"]) == json.loads(first["body"])
    finally:
        receiver.close()
        live.manage(
            "shell", "-c",
            "from cms_integration.models import CmsSite; "
            "CmsSite.objects.filter(owner__username='webhook-live-owner').update(is_active=False)",
        )  # fmt: skip
