"""Both clients against a real service that fails jobs and has tiny queue caps: JobFailed,
429 and 503 with Retry-After come from the service itself, not from a fake."""

from __future__ import annotations

import uuid

import pytest
from cogvideo_client import (
    CogVideoClient,
    JobCanceled,
    JobFailed,
    RateLimited,
    ServiceUnavailable,
)
from cogvideo_client.retry import NO_RETRY

from ..browser import open_page
from ..conftest import jobs_with_prompt

pytestmark = pytest.mark.live

TINY = {"duration": 1, "resolution": "64x64", "num_inference_steps": 2}


def test_failed_job_raises_job_failed_with_the_servers_error(with_workers):
    service = with_workers
    with CogVideoClient(service.url, service.tokens["erin"], poll_interval=0.2) as client:
        task = client.generate("a fox that cannot be drawn", **TINY)
        with pytest.raises(JobFailed) as exc:
            client.wait(task, timeout=120)
    assert not isinstance(exc.value, JobCanceled)
    assert exc.value.task.status == "failed" and exc.value.task.error_code == "model_unavailable"
    assert "could not be loaded" in str(exc.value)


def test_queue_caps_answer_429_and_503_with_retry_after(without_workers):
    service = without_workers
    erin, frank, grace = (CogVideoClient(service.url, service.tokens[n], retry=NO_RETRY) for n in service.tokens)
    first = erin.generate("erin's first", **TINY)
    service.queued.append((service.tokens["erin"], first.task_id))

    with pytest.raises(RateLimited) as limited:
        erin.generate("erin's second", **TINY)  # per-user cap
    assert limited.value.status_code == 429 and limited.value.code == "too_many_queued"
    assert limited.value.retry_after == 30

    second = frank.generate("frank's first", **TINY)
    service.queued.append((service.tokens["frank"], second.task_id))
    with pytest.raises(ServiceUnavailable) as full:
        grace.generate("grace's first", **TINY)  # global cap
    assert full.value.status_code == 503 and full.value.code == "queue_full"
    assert full.value.retry_after == 60


def test_generate_waits_out_retry_after_and_creates_exactly_one_job(without_workers):
    service = without_workers
    token = service.tokens["erin"]
    erin = CogVideoClient(service.url, token, retry=NO_RETRY)
    blocker = erin.generate("erin's blocker", **TINY)
    service.queued.append((token, blocker.task_id))

    slept = []

    def sleep(seconds):  # instead of sleeping 30 s, free the slot the server asked us to wait for
        slept.append(seconds)
        if len(slept) == 1:
            erin.cancel(blocker)

    prompt = f"worth the wait {uuid.uuid4()}"
    with CogVideoClient(service.url, token, sleep=sleep) as patient:
        task = patient.generate(prompt, **TINY)
    service.queued.append((token, task.task_id))
    assert task.status == "queued"
    assert len(slept) == 1 and 30 <= slept[0] <= 31  # Retry-After: 30, plus at most 1 s jitter
    assert jobs_with_prompt(service, prompt) == 1


@pytest.mark.browser
def test_js_client_honours_retry_after_on_429_then_succeeds_with_one_key(chromium, pages, without_workers):
    service = without_workers
    token = service.tokens["frank"]
    frank = CogVideoClient(service.url, token, retry=NO_RETRY)
    blocker = frank.generate("frank's blocker", **TINY)
    service.queued.append((token, blocker.task_id))

    context, page = open_page(chromium, pages.origin + "/esm.html")
    try:
        immediate = page.evaluate(
            """async ([api, token, tiny]) => {
                const g = new CogVideo.VideoGenerator(api, token, { maxRetries: 0 });
                try { await g.submit({ prompt: 'no patience', ...tiny }); return null; }
                catch (e) { return { name: e.name, status: e.status, retryAfter: e.retryAfter, code: e.code }; }
            }""",
            [service.url, token, TINY],
        )
        # Retry-After is readable cross-origin (exposed by CORS), so the client can honour it.
        assert immediate == {"name": "RateLimitedError", "status": 429, "retryAfter": 30, "code": "too_many_queued"}

        page.clock.install()  # fake timers: the 30 s wait passes when the test says so
        page.sent.clear()
        with page.expect_response(lambda r: r.request.method == "POST" and r.status == 429):
            page.evaluate(
                """([api, token, tiny]) => {
                    const g = new CogVideo.VideoGenerator(api, token);
                    window.result = g.submit({ prompt: 'worth the wait', ...tiny })
                        .then((t) => ({ taskId: t.task_id }), (e) => ({ name: e.name, message: e.message }));
                }""",
                [service.url, token, TINY],
            )
        page.wait_for_timeout(1500)  # real time passes (and events arrive): an impatient client retries now
        assert len([r for r in page.sent if r[0] == "POST"]) == 1

        frank.cancel(blocker)
        page.clock.fast_forward(35_000)
        result = page.evaluate("window.result")
        posts = [r for r in page.sent if r[0] == "POST"]
        assert "taskId" in result, result
        service.queued.append((token, result["taskId"]))
        assert len(posts) == 2 and posts[0][2]["idempotency-key"] == posts[1][2]["idempotency-key"]
        assert page.errors == []
    finally:
        context.close()


@pytest.mark.browser
def test_js_client_rejects_a_failed_job_with_job_failed_error(chromium, pages, with_workers):
    service = with_workers
    context, page = open_page(chromium, pages.origin + "/esm.html")
    try:
        error = page.evaluate(
            """async ([api, token, tiny]) => {
                const g = new CogVideo.VideoGenerator(api, token, { pollInterval: 200 });
                try { await g.generateVideo({ prompt: 'cannot be drawn', ...tiny }); return null; }
                catch (e) { return { name: e.name, message: e.message, status: e.task && e.task.status,
                                     failedBase: e instanceof CogVideo.JobFailedError }; }
            }""",
            [service.url, service.tokens["grace"], TINY],
        )
        assert error["name"] == "JobFailedError" and error["status"] == "failed" and error["failedBase"]
        assert "could not be loaded" in error["message"]
    finally:
        context.close()
