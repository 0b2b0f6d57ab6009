"""video-generator.js in real headless Chromium, from a page on another origin, against a
live service with that origin on its CORS allow-list."""

from __future__ import annotations

import time
import uuid

import pytest
from cogvideo_client import CogVideoClient

from ..browser import open_page

pytestmark = [pytest.mark.live, pytest.mark.browser]

TINY = {"duration": 1, "resolution": "64x64", "num_inference_steps": 2}


@pytest.fixture(scope="module")
def token(cors_live):
    return cors_live.create_token("dana")


@pytest.fixture(scope="module")
def py_client(cors_live, token):
    with CogVideoClient(cors_live.url, token, poll_interval=0.2) as client:
        yield client


@pytest.fixture
def esm(chromium, pages):
    context, page = open_page(chromium, pages.origin + "/esm.html")
    yield page
    assert page.errors == []
    context.close()


@pytest.fixture
def plain(chromium, pages):
    context, page = open_page(chromium, pages.origin + "/global.html")
    yield page
    assert page.errors == []
    context.close()


def test_generate_video_reports_progress_and_resolves_with_the_video_id(esm, cors_live, token, py_client):
    result = esm.evaluate(
        """async ([api, token, tiny]) => {
            const [model] = await new CogVideo.VideoGenerator(api, token).models();
            const fps = model.fps[model.fps.length - 1];  // the choices come from the service
            const g = new CogVideo.VideoGenerator(api, token, { pollInterval: 200, fit: 'pad', fps });
            const events = [];
            g.addEventListener('progress', (e) => events.push(e.detail.status));
            const seen = [];
            const videoId = await g.generateVideo({ prompt: 'a red fox in snow', ...tiny, formats: ['mp4', 'webm'] },
                { onProgress: (s) => seen.push([s.status, s.progress]) });
            const blob = await g.fetchVideo(videoId);
            const head = new Uint8Array(await blob.slice(4, 8).arrayBuffer());
            const bytes = async (variant, n) => Array.from(new Uint8Array(
                await (await g.fetchVideo(videoId, { variant })).slice(0, n).arrayBuffer()));
            return { videoId, taskId: g.lastTaskId, seen, events, size: blob.size,
                     ftyp: String.fromCharCode(...head), fps, fits: model.fits,
                     webm: await bytes('webm', 4), preview: String.fromCharCode(...(await bytes('preview', 12))),
                     urls: [g.lastStatus.preview_url, g.lastStatus.webm_url] };
        }""",
        [cors_live.url, token, TINY],
    )
    status = py_client.status(result["taskId"])
    assert result["videoId"] == status.video_id
    assert result["seen"][0] == ["queued", 0] and result["seen"][-1] == ["completed", 100]
    assert result["events"] == [s for s, _ in result["seen"]]
    assert result["ftyp"] == "ftyp" and result["size"] == status["video"]["size_bytes"]
    assert result["fits"] == ["crop", "pad", "stretch"] and result["fps"] > 8
    params = status.parameters
    assert (params["fit"], params["fps"], params["formats"]) == ("pad", result["fps"], ["mp4", "webm"])
    assert result["webm"] == [0x1A, 0x45, 0xDF, 0xA3] and result["preview"][8:12] == "WEBP"
    assert result["urls"] == [status.preview_url, status.webm_url] and all(result["urls"])
    (post,) = [r for r in esm.sent if r[0] == "POST" and r[1].endswith("/api/generate")]
    uuid.UUID(post[2]["idempotency-key"])  # one key per logical call, sent cross-origin


def test_plain_script_build_keeps_the_articles_subclassing_shape(plain, cors_live, token, py_client):
    result = plain.evaluate(
        """async ([api, token]) => {
            class PostVideo extends VideoGenerator {
                formatPrompt(post) { return `${post.title}: ${post.summary}`; }
                calculateDuration(post) { return 1; }
            }
            const g = new PostVideo(api, token,
                { resolution: '64x64', pollInterval: 200, extraPayload: { num_inference_steps: 2 } });
            const videoId = await g.generateVideo({ title: 'Harbour', summary: 'boats at dawn' });
            return { videoId, taskId: g.lastTaskId, same: window.CogVideo.VideoGenerator === VideoGenerator };
        }""",
        [cors_live.url, token],
    )
    status = py_client.status(result["taskId"])
    assert result["same"] is True
    assert status.video_id == result["videoId"]
    assert status["prompt"] == "Harbour: boats at dawn"
    assert status.parameters["duration"] == 1 and status.parameters["resolution"] == "64x64"


def test_bad_token_rejects_with_auth_error(esm, cors_live):
    error = esm.evaluate(
        """async ([api, tiny]) => {
            const g = new CogVideo.VideoGenerator(api, 'wrong-token');
            try { await g.generateVideo({ prompt: 'x', ...tiny }); return null; }
            catch (e) { return { name: e.name, status: e.status, base: e instanceof CogVideo.CogVideoError }; }
        }""",
        [cors_live.url, TINY],
    )
    assert error == {"name": "AuthError", "status": 401, "base": True}


def test_bad_input_rejects_with_field_errors(esm, cors_live, token):
    error = esm.evaluate(
        """async ([api, token]) => {
            const g = new CogVideo.VideoGenerator(api, token);
            try { await g.generateVideo({ prompt: 'x', duration: 60, resolution: '64x64' }); return null; }
            catch (e) { return { name: e.name, status: e.status, fields: Object.keys(e.fields) }; }
        }""",
        [cors_live.url, token],
    )
    assert error["name"] == "ValidationError" and error["status"] == 400 and "duration" in error["fields"]


def test_abort_rejects_at_once_and_leaves_the_job_running(esm, cors_live, token, py_client):
    result = esm.evaluate(
        """async ([api, token, tiny]) => {
            // Poll only once a minute: the abort must cut the sleep short, not wait it out.
            let polls = 0;
            const controller = new AbortController();
            class CountingGenerator extends CogVideo.VideoGenerator {
                async getStatus(taskId, options) {
                    const status = await super.getStatus(taskId, options);
                    if (++polls === 1) setTimeout(() => controller.abort(), 100);  // mid-sleep
                    return status;
                }
            }
            const g = new CountingGenerator(api, token, { pollInterval: 60000 });
            const started = performance.now();
            try {
                await g.generateVideo({ prompt: 'a kite', ...tiny }, { signal: controller.signal });
                return null;
            } catch (e) {
                return { name: e.name, ms: performance.now() - started, taskId: g.lastTaskId, polls };
            }
        }""",
        [cors_live.url, token, TINY],
    )
    assert result is not None, "generateVideo resolved: the abort was ignored"
    assert result["name"] == "AbortError" and result["polls"] == 1
    assert result["ms"] < 5000
    assert py_client.wait(result["taskId"], timeout=180).status == "completed"  # abort is client-side


def test_abort_with_cancel_on_abort_cancels_the_job(esm, cors_live, token, py_client):
    result = esm.evaluate(
        """async ([api, token, tiny]) => {
            const g = new CogVideo.VideoGenerator(api, token, { cancelOnAbort: true });
            const controller = new AbortController();
            try {
                await g.generateVideo({ prompt: 'a paper plane', ...tiny },
                    { signal: controller.signal, onProgress: () => controller.abort() });
                return null;
            } catch (e) { return { name: e.name, taskId: g.lastTaskId }; }
        }""",
        [cors_live.url, token, TINY],
    )
    assert result is not None and result["name"] == "AbortError"
    deadline = time.monotonic() + 10
    while py_client.status(result["taskId"]).status != "canceled":
        assert time.monotonic() < deadline, "the job was not canceled"
        time.sleep(0.1)


def test_cancel_ends_monitoring_with_job_canceled_and_a_second_cancel_conflicts(esm, cors_live, token):
    result = esm.evaluate(
        """async ([api, token, tiny]) => {
            const g = new CogVideo.VideoGenerator(api, token, { pollInterval: 200 });
            const task = await g.submit({ prompt: 'a slow river', ...tiny });
            const monitoring = g.monitorGeneration(task.task_id).then(() => null, (e) => e);
            const canceled = await g.cancel();
            const error = await monitoring;
            let again = null;
            try { await g.cancel(task.task_id); } catch (e) { again = { name: e.name, status: e.status }; }
            return { canceled: canceled.status, name: error && error.name,
                     taskStatus: error && error.task.status, again };
        }""",
        [cors_live.url, token, TINY],
    )
    assert result["canceled"] == "canceled"
    assert result["name"] == "JobCanceledError" and result["taskStatus"] == "canceled"
    assert result["again"] == {"name": "ConflictError", "status": 409}


def test_listing_and_system_status_work_cross_origin(esm, cors_live, token, py_client):
    newest = py_client.generate("listed from the browser", **TINY)
    py_client.cancel(newest)
    result = esm.evaluate(
        """async ([api, token]) => {
            const g = new CogVideo.VideoGenerator(api, token);
            const page = await g.listTasks({ limit: 1 });
            const system = await g.systemStatus();
            return { ids: page.results.map((t) => t.task_id), hasCursor: 'next_cursor' in page,
                     model: system.model && system.model.id };
        }""",
        [cors_live.url, token],
    )
    assert result == {"ids": [newest.task_id], "hasCursor": True, "model": "tiny-random"}


def test_iter_tasks_follows_the_cursor_through_every_page(esm, cors_live, token, py_client):
    for prompt in ("a page of jobs", "another page of jobs"):
        py_client.cancel(py_client.generate(prompt, **TINY))  # canceled at once: no GPU time
    expected = [t.task_id for t in py_client.iter_tasks(limit=50)]
    seen = esm.evaluate(
        """async ([api, token]) => {
            const g = new CogVideo.VideoGenerator(api, token);
            const ids = [];
            for await (const task of g.iterTasks({ limit: 1 })) ids.push(task.task_id);
            return ids;
        }""",
        [cors_live.url, token],
    )
    assert len(seen) >= 2 and seen == expected  # one page per job, newest first, none twice
