"""Through the real worker, with CogVideoX-2b's rendering rules on the tiny model
(COGVIDEO_PROFILE=cogvideox-2b): the article's 512x512 request renders 720x480 and delivers a
512x512 MP4; fps 24 gives a 24 fps file of the asked duration; progress moves while the VAE
decodes, in the API and in the studio's bar (headless Chromium); a cancel during decoding
stops within one chunk and the worker takes the next job.

One service for the module, few jobs, one denoising step each: the decode of a 720x480
render is the slow part here (about 10 s for 9 frames on one CPU thread)."""

from __future__ import annotations

import pytest
from PIL import Image

from tests.support.live import LiveService
from tests.support.media import moov_before_mdat, probe_video
from tests.support.waiting import eventually

pytestmark = [pytest.mark.live, pytest.mark.browser]

ARTICLE_512 = {"prompt": "A post about spring", "duration": 1, "resolution": "512x512", "num_inference_steps": 1}


@pytest.fixture(scope="module")
def service_2b(session_dir):
    # blend, not mci: motion search on the tiny model's noise is its worst case (10 s for this
    # job's 25 frames); the default mci is tested on small frames (test_render_sizes.py).
    env = {"COGVIDEO_PROFILE": "cogvideox-2b", "COGVIDEO_INTERPOLATION": "blend"}
    service = LiveService(session_dir / "live-2b", extra_env=env).start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def http_2b(service_2b):
    with service_2b.client(service_2b.create_token("erin")) as client:
        yield client


STUDIO_PASSWORD = "erin-studio-sign-in"  # noqa: S105 - a test account's password


# Every value the studio's progress bar takes, with the status line beside it.
WATCH_PROGRESS = """() => {
    window.progressSeen = [];
    document.addEventListener("DOMContentLoaded", () => {
        const bar = document.getElementById("job-progress");
        new MutationObserver(() => {
            window.progressSeen.push([Number(bar.value), document.getElementById("job-status").textContent]);
        }).observe(bar, { attributes: true, attributeFilter: ["value"] });
    });
}"""


@pytest.fixture(scope="module")
def studio_2b(service_2b, http_2b, chromium_browser):
    """erin's studio, signed in through the real form, recording its progress bar."""
    service_2b.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; user = get_user_model().objects.get(username='erin'); "
        f"user.set_password({STUDIO_PASSWORD!r}); user.save()",
    )
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(script=f"({WATCH_PROGRESS})()")
    page = context.new_page()
    page.goto(service_2b.url + "/login/")
    page.get_by_label("Username", exact=True).fill("erin")
    page.get_by_label("Password", exact=True).fill(STUDIO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(service_2b.url + "/")
    yield page
    context.close()


def submit(client, body: dict) -> str:
    response = client.post("/api/generate", json=body)
    assert response.status_code == 200, response.text
    return response.json()["task_id"]


@pytest.fixture(scope="module")
def article_job(service_2b, http_2b, studio_2b) -> dict:
    """The article's 512x512 request at 24 fps with a WebM, followed from queued to the end:
    every status body seen, the last one, and the files downloaded. The studio, opened while
    it runs, picks the job up (a running job is followed on load) and records its bar."""
    task_id = submit(http_2b, {**ARTICLE_512, "fps": 24, "formats": ["mp4", "webm"]})
    studio_2b.goto(service_2b.url + "/")
    assert studio_2b.locator("#studio").get_attribute("data-running-job") == task_id
    seen: list[dict] = []
    final = service_2b.wait_for(http_2b, task_id, until=lambda b: seen.append(b) or b["status"] != "processing"
                                and b["status"] != "queued")  # fmt: skip
    assert final["status"] == "completed", final
    files = {}
    folder = service_2b.data_dir / "downloads"
    folder.mkdir(exist_ok=True)
    for variant, suffix in (("video", "mp4"), ("webm", "webm"), ("preview", "webp"), ("thumbnail", "jpg")):
        response = http_2b.get(f"/api/download/{final['video_id']}", params={"variant": variant})
        assert response.status_code == 200, (variant, response.text)
        files[variant] = folder / f"{variant}.{suffix}"
        files[variant].write_bytes(response.content)
    studio_2b.locator("#job-panel[data-status=completed]").wait_for()
    return {"seen": seen, "final": final, "files": files, "studio_seen": studio_2b.evaluate("window.progressSeen")}


def test_a_512x512_request_renders_720x480_and_delivers_a_512x512_mp4(article_job):
    params = article_job["final"]["params"]
    assert (params["render_resolution"], params["resolution"], params["fit"]) == ("720x480", "512x512", "crop")
    assert (params["render_fps"], params["fps"], params["interpolation"]) == (8, 24, "blend")
    probe = probe_video(article_job["files"]["video"])
    assert (probe["codec"], probe["pix_fmt"], probe["width"], probe["height"]) == ("h264", "yuv420p", 512, 512)
    assert moov_before_mdat(article_job["files"]["video"])
    assert article_job["final"]["video"]["width"] == 512 and article_job["final"]["video"]["height"] == 512
    assert Image.open(article_job["files"]["thumbnail"]).size == (512, 512)


def test_fps_24_gives_a_24_fps_file_of_the_asked_duration(article_job):
    probe = probe_video(article_job["files"]["video"])
    # 1 s asked: 24 * 1 + 1 frames at 24 fps (rendered: 9 frames at 8 fps), first and last shared.
    assert (probe["fps"], probe["frames"]) == (24, 25)
    assert article_job["final"]["video"]["fps"] == 24 and article_job["final"]["video"]["frames"] == 25
    webm = probe_video(article_job["files"]["webm"])
    assert (webm["codec"], webm["width"], webm["height"], webm["fps"], webm["frames"]) == ("vp9", 512, 512, 24, 25)
    preview = Image.open(article_job["files"]["preview"])
    assert preview.format == "WEBP" and preview.is_animated and preview.size == (320, 320)
    assert article_job["final"]["preview_url"].endswith("?variant=preview")


def test_progress_moves_during_decoding(article_job):
    decoding = [b for b in article_job["seen"] if b["status"] == "processing" and b["stage"] == "decoding"]
    progress = [b["progress"] for b in decoding]
    assert len(set(progress)) >= 3, progress  # 9 chunks of a 720x480 decode, written every 0.5 s
    assert progress == sorted(progress) and 80 <= progress[0] and progress[-1] <= 95
    assert any(b["eta_seconds"] for b in decoding)
    denoising = [b["progress"] for b in article_job["seen"] if b["stage"] == "denoising"]
    assert max(denoising, default=0) <= min(progress)


def test_the_studio_bar_moves_during_decoding(article_job):
    seen = article_job["studio_seen"]
    decoding = [value for value, text in seen if text.startswith("Processing: decoding")]
    assert len(set(decoding)) >= 2, seen  # the studio polls every 0.5 s; the decode lasts seconds
    assert decoding == sorted(decoding) and 80 <= decoding[0] and decoding[-1] < 100
    assert any("s left" in text for _value, text in seen if text.startswith("Processing: decoding")), seen
    assert seen[-1] == [100, "Done: 100%."]


def test_a_cancel_during_decoding_stops_within_a_chunk_and_frees_the_worker(service_2b, http_2b):
    # 2 s: 17 frames, 18 decode chunks (9 tiles x 2 frame batches), over 20 s of decoding here.
    task_id = submit(http_2b, {**ARTICLE_512, "duration": 2})
    service_2b.wait_for(http_2b, task_id, timeout=120, until=lambda b: b["stage"] == "decoding" or b["status"] not in
                        ("queued", "processing"))  # fmt: skip
    response = http_2b.post(f"/api/cancel/{task_id}")
    assert response.status_code == 200 and response.json()["status"] == "canceled", response.text
    next_id = submit(http_2b, ARTICLE_512)
    # The worker is free: it takes the next job (long before the canceled decode could end).
    eventually(
        lambda: http_2b.get(f"/api/status/{next_id}").json()["status"] != "queued",
        timeout=60,
        interval=0.1,
        what="the next job to start",
    )
    stopped = http_2b.get(f"/api/status/{task_id}").json()
    assert stopped["status"] == "canceled" and stopped["video_id"] is None
    canceled_in = stopped["params"]["canceled_in"]
    assert canceled_in["stage"] == "decoding" and canceled_in["of"] == 18
    assert canceled_in["done"] <= 3, canceled_in  # canceled when decoding began: within a chunk or so
    http_2b.post(f"/api/cancel/{next_id}")  # nothing more to learn from it; frees the worker for teardown
