"""The Python client against the real service: gunicorn + django-q2 + the tiny model,
over real HTTP. Every typed error is provoked for real; lost answers come from a real
TCP proxy that closes connections."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid

import pytest
from cogvideo_client import (
    AsyncCogVideoClient,
    AuthError,
    BatchVideoProcessor,
    CogVideoClient,
    Conflict,
    ConnectionFailed,
    JobCanceled,
    JobFailed,
    NotFound,
    RetryPolicy,
    Timeout,
    ValidationError,
    robust_api_call,
)
from cogvideo_client.retry import NO_RETRY

from ..conftest import jobs_with_prompt
from ..tcp_proxy import TcpProxy

pytestmark = pytest.mark.live

TINY = {"duration": 1, "resolution": "64x64", "num_inference_steps": 2}
FAST_RETRY = RetryPolicy(max_retries=4, base_delay=0.05, max_delay=0.5)


def make_client(url: str, token: str, **kwargs) -> CogVideoClient:
    kwargs.setdefault("retry", FAST_RETRY)
    return CogVideoClient(url, token, poll_interval=0.2, **kwargs)


@pytest.fixture
def client(live, live_tokens):
    with make_client(live.url, live_tokens["owner"]) as c:
        yield c


def is_mp4(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def test_generate_wait_download_happy_path(client, tmp_path):
    task = client.generate("a red fox running through snow", seed=7, metadata={"post_id": 42}, **TINY)
    assert task.status == "queued" and task.task_id

    seen = []
    done = client.wait(task, timeout=180, on_progress=seen.append)

    assert done.status == "completed" and done.progress == 100 and done.video_id
    assert done.seed == 7 and done.metadata == {"post_id": 42}
    assert done.parameters["resolution"] == "64x64"
    assert seen[-1].status == "completed" and seen[0].status in {"queued", "processing"}
    progresses = [t.progress for t in seen]
    assert progresses == sorted(progresses)  # reported in order, never backwards
    assert len({(t.status, t.progress, t.step) for t in seen}) == len(seen)  # only changes

    path = client.download(done.video_id, tmp_path / "fox.mp4")
    data = path.read_bytes()
    assert is_mp4(data)
    assert hashlib.sha256(data).hexdigest() == done["video"]["sha256"]
    assert not (tmp_path / "fox.mp4.part").exists()

    poster = client.download(done, tmp_path, variant="thumbnail")
    assert poster.name == f"{done.video_id}.jpg" and poster.read_bytes()[:2] == b"\xff\xd8"


def test_fit_fps_and_webm_pass_through_with_choices_from_models(client, tmp_path):
    models = client.models()
    (model,) = [entry for entry in models if entry.default]  # the text model requests get by default
    (image_model,) = [entry for entry in models if entry.takes_image]
    assert image_model.task == "image-to-video" and image_model.image_limits["max_bytes"] > 0
    assert model.takes_image is False and model.image_limits is None
    assert model.id and model.fits == ["crop", "pad", "stretch"] and model.formats == ["mp4", "webm"]
    assert model.native_fps in model.fps and len(model.fps) > 1 and model.resolution_limits["multiple"]
    faster = max(model.fps)  # an interpolated rate, taken from the service, not assumed
    task = client.generate(
        "a lighthouse at dusk", fit="pad", pad_color="#102030", fps=faster, formats=("mp4", "webm"), **TINY
    )
    done = client.wait(task, timeout=180)
    params = done.parameters
    assert (params["fit"], params["fps"], params["formats"]) == ("pad", faster, ["mp4", "webm"])
    assert params["resolution"] == "64x64" and params["render_resolution"]
    assert done.preview_url and done.webm_url and done.webm_url != done.video_url
    webm = client.download(done, tmp_path, variant="webm")
    assert webm.name == f"{done.video_id}.webm" and webm.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"
    preview = client.download(done, tmp_path, variant="preview").read_bytes()
    assert preview[:4] == b"RIFF" and preview[8:12] == b"WEBP"
    with pytest.raises(ValidationError) as exc:
        client.generate("a lighthouse", fit="squash", fps=model.native_fps + 1, **TINY)
    assert {"fit", "fps"} <= set(exc.value.fields)


def test_article_call_shapes_work_on_the_client(client):
    # Section 5.1's api_client.generate_video(prompt) -> task id, then a video id.
    task_id = client.generate_video("waves on a beach at sunset", **TINY)
    assert isinstance(task_id, str)
    status_info = client.status(task_id)
    assert status_info.get("status") in {"queued", "processing", "completed"}  # dict-style reads
    assert status_info["task_id"] == task_id
    video_id = client.wait_for_completion(task_id, max_wait_time=180)
    assert video_id == client.status(task_id).video_id


def test_bad_token_raises_auth_error(live):
    with make_client(live.url, "not-a-token") as bad, pytest.raises(AuthError) as exc:
        bad.generate("anything", **TINY)
    assert exc.value.status_code == 401 and exc.value.message


def test_bad_input_raises_validation_error_with_field_messages(client):
    with pytest.raises(ValidationError) as exc:
        client.generate("a fox", duration=60, resolution="65x65", num_inference_steps=2)
    assert exc.value.status_code == 400
    assert {"duration", "resolution"} <= set(exc.value.fields)
    assert all(exc.value.fields[name] for name in ("duration", "resolution"))


def test_unknown_and_foreign_ids_raise_not_found(client, live, live_tokens):
    with pytest.raises(NotFound):
        client.status(str(uuid.uuid4()))
    mine = client.generate("only mine", **TINY)
    with make_client(live.url, live_tokens["stranger"]) as stranger:
        with pytest.raises(NotFound):
            stranger.status(mine.task_id)
        with pytest.raises(NotFound):
            stranger.cancel(mine.task_id)
    client.wait(mine, timeout=180)


def test_wait_timeout_cancel_and_conflict(client):
    task = client.generate("a slow lighthouse", **TINY)
    with pytest.raises(Timeout) as timed_out:
        client.wait(task, timeout=0)
    assert timed_out.value.task.task_id == task.task_id
    assert isinstance(timed_out.value, TimeoutError)

    canceled = client.cancel(task)
    assert canceled.status == "canceled"
    with pytest.raises(JobCanceled) as exc:
        client.wait(task, timeout=30)
    assert isinstance(exc.value, JobFailed) and exc.value.task.status == "canceled"
    with pytest.raises(Conflict) as again:
        client.cancel(task)  # a new logical call (new key): the job is finished
    assert again.value.status_code == 409


def test_unreachable_service_raises_connection_failed(live):
    with CogVideoClient("http://127.0.0.1:9", "t", retry=RetryPolicy(max_retries=1, base_delay=0.01)) as c:
        with pytest.raises(ConnectionFailed):
            c.system_status()


def test_lost_answer_to_generate_is_retried_without_a_duplicate_job(live, live_tokens):
    prompt = f"a heron fishing at dawn {uuid.uuid4()}"
    with TcpProxy("127.0.0.1", live.port) as proxy:
        proxy.add_rule("POST", "/api/generate", "drop")
        with make_client(proxy.url, live_tokens["owner"]) as c:
            task = c.generate(prompt, **TINY)

    posts = proxy.requests_to("POST", "/api/generate")
    assert [p.action for p in posts] == ["drop", "forward"]
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]
    # The first attempt really created the job; its answer was lost; the retry got that job.
    (lost,) = proxy.dropped
    assert lost.status_line.split()[1] == "200"
    assert json.loads(lost.body)["task_id"] == task.task_id
    assert jobs_with_prompt(live, prompt) == 1


def test_robust_api_call_around_generate_creates_one_job(live, live_tokens):
    """The article's retry helper, wrapped around a client that does not retry itself."""
    prompt = f"a paper boat on a stream {uuid.uuid4()}"
    with TcpProxy("127.0.0.1", live.port) as proxy:
        proxy.add_rule("POST", "/api/generate", "drop", times=2)
        with make_client(proxy.url, live_tokens["owner"], retry=NO_RETRY) as c:
            sleeps = []
            task = robust_api_call(c.generate, prompt, max_retries=3, sleep=sleeps.append, **TINY)
    assert sleeps == [1, 2]  # the article's 2 ** attempt schedule
    assert len(proxy.dropped) == 2 and json.loads(proxy.dropped[0].body)["task_id"] == task.task_id
    assert jobs_with_prompt(live, prompt) == 1


def test_download_resumes_with_range_after_a_cut_connection(client, live, live_tokens, tmp_path):
    done = client.wait(client.generate("a windmill turning", **TINY), timeout=180)
    with TcpProxy("127.0.0.1", live.port) as proxy:
        proxy.add_rule("GET", f"/api/download/{done.video_id}", "cut", cut_after=1000)
        with make_client(proxy.url, live_tokens["owner"]) as c:
            reported = []
            path = c.download(done.video_id, tmp_path / "mill.mp4", on_progress=lambda n, total: reported.append(n))

    gets = proxy.requests_to("GET", f"/api/download/{done.video_id}")
    assert [g.action for g in gets] == ["cut", "forward"]
    assert "range" not in gets[0].headers and gets[1].headers["range"] == "bytes=1000-"
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == done["video"]["sha256"]
    assert reported[-1] == len(data) > 1000


def test_download_picks_up_an_interrupted_earlier_call(client, tmp_path):
    done = client.wait(client.generate("a kite over a field", **TINY), timeout=180)
    full = client.download(done.video_id, tmp_path / "full.mp4").read_bytes()
    (tmp_path / "kite.mp4.part").write_bytes(full[:777])  # what a crashed earlier call left
    path = client.download(done.video_id, tmp_path / "kite.mp4")
    assert path.read_bytes() == full


def test_async_client_with_batch_processor(live, live_tokens, tmp_path):
    reports = []

    async def main():
        async with AsyncCogVideoClient(live.url, live_tokens["owner"], poll_interval=0.2, retry=FAST_RETRY) as aclient:
            (model,) = [entry for entry in await aclient.models() if entry.default]
            one = await aclient.generate("a lantern festival", fit="stretch", fps=model.fps[-1], **TINY)
            assert (await aclient.status(one)).task_id == one.task_id
            processor = BatchVideoProcessor(
                aclient, max_concurrent=2, on_progress=reports.append, poll_interval=0.2, **TINY
            )
            result = await processor.process_batch(
                ["a koi pond in the rain", {"prompt": "too long", "duration": 60}, "a neon city street at night"]
            )
            done_one = await aclient.wait(one, timeout=180)
            # async download, resuming what an interrupted earlier call left behind
            whole = await aclient.download(done_one, tmp_path / "whole.mp4")
            (tmp_path / "lantern.mp4.part").write_bytes(whole.read_bytes()[:500])
            sent = []
            resumed = await aclient.download(
                done_one.video_id, tmp_path / "lantern.mp4", on_progress=lambda n, t: sent.append(n)
            )
            return result, done_one, whole.read_bytes(), resumed.read_bytes(), sent

    result, done_one, whole, resumed, sent = asyncio.run(main())
    assert done_one.video_id and done_one.preview_url and done_one.webm_url is None
    assert done_one.parameters["fit"] == "stretch" and done_one.parameters["fps"] > 8
    assert resumed == whole and hashlib.sha256(whole).hexdigest() == done_one["video"]["sha256"]
    assert sent[-1] == len(whole)
    assert sorted(e["prompt"] for e in result["completed"]) == ["a koi pond in the rain", "a neon city street at night"]
    assert all(e["video_id"] and e["task_id"] for e in result["completed"])
    (failed,) = result["failed"]
    assert failed["index"] == 1 and failed["error_type"] == "ValidationError" and "duration" in failed["error"]
    assert reports[-1].completed == 2 and reports[-1].failed == 1 and reports[-1].fraction == 1.0
    assert max(len(r.active) for r in reports) <= 2


def test_batch_processor_with_the_sync_client_downloads(client, tmp_path):
    processor = BatchVideoProcessor(client, max_concurrent=2, download_dir=tmp_path, **TINY)
    result = processor.run(["a snowy mountain pass", "a hot air balloon"])
    assert result["failed"] == [] and len(result["completed"]) == 2
    for entry in result["completed"]:
        assert is_mp4((tmp_path / f"{entry['video_id']}.mp4").read_bytes())


def test_system_status_and_health(client):
    status = client.system_status()
    assert status.model and status.queue_depth is not None
    assert status.workers_alive is not None and status.workers_alive >= 1
    assert client.health()["status"] == "ok"
    templates = client.templates()
    assert isinstance(templates, list) and all(t["slug"] and "placeholders" in t for t in templates)


def test_own_idempotency_key_replays_the_job_and_rejects_another_body(client):
    key = f"post-{uuid.uuid4()}-v1"  # e.g. a CMS post and revision: stable across processes
    first = client.generate("a quiet harbour at dawn", idempotency_key=key, **TINY)
    again = client.generate("a quiet harbour at dawn", idempotency_key=key, **TINY)
    assert again.task_id == first.task_id
    with pytest.raises(Conflict) as exc:
        client.generate("a different prompt", idempotency_key=key, **TINY)
    assert exc.value.status_code == 409 and exc.value.code == "idempotency_conflict"
    client.cancel(first)


def test_tasks_pages_newest_first_and_filters(live):
    token = live.create_token(f"lister-{uuid.uuid4().hex[:8]}")  # a user with no other jobs
    with make_client(live.url, token) as c:
        ids = [c.generate(f"listed {i}", metadata={"post": f"p{i}"}, **TINY).task_id for i in range(3)]
        for task_id in ids:
            c.cancel(task_id)  # keep the shared worker free; listing does not care

        page = c.tasks(limit=2)
        assert [t.task_id for t in page] == ids[::-1][:2] and page.next_cursor
        rest = c.tasks(limit=2, cursor=page.next_cursor)
        assert [t.task_id for t in rest] == [ids[0]] and rest.next_cursor is None
        assert [t.task_id for t in c.iter_tasks(limit=2)] == ids[::-1]

        assert [t.task_id for t in c.tasks(metadata={"post": "p1"})] == [ids[1]]
        assert [t.task_id for t in c.tasks(status="canceled")] == ids[::-1]
        assert list(c.tasks(status="completed")) == []
        with pytest.raises(ValidationError) as exc:
            c.tasks(status="sideways")
        assert "status" in exc.value.fields
