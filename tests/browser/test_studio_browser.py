"""The editors' tools in real headless Chromium against the live service (gunicorn + a
django-q2 worker running the tiny model): a new user opens "/", signs in with the admin
login that launch.py prints on first start, types a prompt, watches the progress bar reach
100%, sees the video play in the page and in the admin, and cancels a second job.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.images import solid_png
from tests.support.live import ARTIFACTS

pytestmark = [pytest.mark.live, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Big enough that the job takes a few seconds, so the progress bar is seen moving.
# Long enough that the 0.5 s poll sees denoising steps on an idle machine too.
SLOW_JOB = {"duration": "1", "resolution": "256x256", "steps": "100"}

# Records every value the progress bar takes and the status line beside it.
WATCH_PROGRESS = """() => {
    window.progressSeen = [];
    const bar = document.getElementById('job-progress');
    new MutationObserver(() => {
        window.progressSeen.push([Number(bar.value), document.getElementById('job-status').textContent]);
    }).observe(bar, { attributes: true, attributeFilter: ['value'] });
    // Every live preview shown: its URL, size, a digest of its pixels and the status line then.
    window.previewsSeen = [];
    const live = document.getElementById('job-live-preview');
    live.addEventListener('load', () => {
        const canvas = document.createElement('canvas');
        canvas.width = live.naturalWidth; canvas.height = live.naturalHeight;
        const context = canvas.getContext('2d');
        context.drawImage(live, 0, 0);
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
        let digest = 0;
        for (let i = 0; i < pixels.length; i += 7) digest = (digest * 31 + pixels[i]) % 1000000007;
        window.previewsSeen.push([live.currentSrc, live.naturalWidth, digest,
                                  document.getElementById('job-status').textContent]);
    });
}"""

# Plays a <video> from the start and samples it: ready state, paused flag and currentTime
# over half a second (the tiny videos last about a second).
PLAYBACK = """async (selector) => {
    const video = document.querySelector(selector);
    video.muted = true;
    video.currentTime = 0;
    try { await video.play(); } catch (e) { return { error: String(e) }; }
    const times = [];
    for (let i = 0; i < 6; i++) { times.push(video.currentTime); await new Promise(r => setTimeout(r, 80)); }
    return { readyState: video.readyState, paused: video.paused, times, src: video.currentSrc,
             width: video.videoWidth, height: video.videoHeight, error: video.error && video.error.message };
}"""


def advancing(times: list[float]) -> bool:
    return any(later > earlier for earlier, later in zip(times, times[1:], strict=False))


def launch_credentials(live) -> tuple[str, str]:
    """Run launch.py's own first-start step in the live service and read what it prints;
    when an earlier test already created the admin, read the owner-only credentials file it
    points to, exactly as a returning operator would."""
    printed = live.manage("shell", "-c", "import launch; launch.ensure_admin_account()").stdout
    match = re.search(r"username: (\S+)\n\s+password: (\S+)", printed)
    if match is None:
        saved = (live.data_dir / "admin-credentials.txt").read_text()
        match = re.search(r"username: (\S+)\npassword: (\S+)", saved)
    return match.group(1), match.group(2)


@pytest.fixture(scope="module")
def chromium(chromium_browser):
    return chromium_browser


@pytest.fixture(scope="module")
def studio(chromium, live):
    """One signed-in browser for the module, logged in through the real form."""
    username, password = launch_credentials(live)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(live.url + "/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live.url + "/")
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()
    yield page
    assert page.errors == []
    context.close()


def fill_slow_job(page: Page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_label("Duration", exact=True).select_option(SLOW_JOB["duration"])
    page.get_by_label("Resolution", exact=True).fill(SLOW_JOB["resolution"])
    page.get_by_text("Advanced").click()
    page.get_by_label("Steps", exact=True).fill(SLOW_JOB["steps"])


def api_status(page: Page, live, task_id: str) -> dict:
    # The page's own session cookie: the API accepts session auth.
    return page.request.get(f"{live.url}/api/status/{task_id}").json()


def test_generate_watch_progress_and_play(studio: Page, live):
    ARTIFACTS.mkdir(exist_ok=True)
    page = studio
    page.goto(live.url + "/")
    page.evaluate(WATCH_PROGRESS)
    fill_slow_job(page, "A red fox running through fresh snow, cinematic light")
    page.get_by_role("button", name="Generate").click()

    panel = page.locator("#job-panel")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-status", "completed", timeout=180_000)
    task_id = panel.get_attribute("data-task-id")
    seen = page.evaluate("window.progressSeen")
    values = [value for value, _text in seen]
    assert values[-1] == 100 and seen[-1][1] == "Done: 100%."
    assert values == sorted(values), f"the bar went backwards: {values}"
    between = [(value, text) for value, text in seen if 0 < value < 100]
    assert between, f"never saw the bar between 0 and 100: {seen}"
    assert any("denoising" in text and "step" in text for _value, text in between), between
    # The live preview moved while it denoised: several steps' pictures, each a real image.
    previews = page.evaluate("window.previewsSeen")
    assert all(width == 256 for _src, width, _digest, _text in previews), previews
    # (A picture that finished loading after denoising ended is not counted: the status moved on.)
    while_denoising = [(src, digest) for src, _width, digest, text in previews if "denoising" in text]
    assert len({src for src, _digest in while_denoising}) >= 2, previews
    assert len({digest for _src, digest in while_denoising}) >= 2, previews
    expect(page.locator("#job-live-preview")).to_be_hidden()  # done: the video instead

    playback = page.evaluate(PLAYBACK, "#result-video")
    assert playback.get("error") is None, playback
    assert playback["readyState"] >= 2 and not playback["paused"]
    assert (playback["width"], playback["height"]) == (256, 256)
    assert advancing(playback["times"]), playback

    status = api_status(page, live, task_id)
    assert status["status"] == "completed" and status["params"]["num_inference_steps"] == 100
    assert playback["src"] == status["video_url"]
    # The gallery refreshed with the new video at the top.
    first_card = page.locator(".gallery-card").first
    expect(first_card).to_have_attribute("data-job-id", task_id)
    expect(first_card.locator("a", has_text="Download")).to_have_attribute(
        "href", f"/api/download/{status['video_id']}"
    )
    page.screenshot(path=str(ARTIFACTS / "studio.png"), full_page=True)
    studio.finished_task = task_id


def test_the_video_plays_in_the_admin(studio: Page, live):
    task_id = getattr(studio, "finished_task", None)
    assert task_id, "needs the video of test_generate_watch_progress_and_play"
    page = studio
    # From the studio's own link, the way an editor gets there.
    page.goto(live.url + "/")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.locator("#content-main").get_by_role("link", name="Video jobs", exact=True).click()
    expect(page).to_have_url(f"{live.url}/admin/videos/videojob/")
    thumb = page.locator(f"tr:has(a[href*='{task_id}']) img.cv-thumb")
    expect(thumb).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", thumb.element_handle()) == 256
    thumb.hover()  # the animated WebP preview while the pointer is on the poster
    expect(thumb).to_have_attribute("src", re.compile(r"\?variant=preview$"))
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    page.screenshot(path=str(ARTIFACTS / "admin-jobs.png"), full_page=True)
    # Every column is on screen beside the menu and the filters (no sideways scrolling).
    results = page.locator("#changelist .results")
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth"), "the job list scrolls sideways"
    last = page.locator("#result_list th.column-generation_time").bounding_box()
    assert last["x"] + last["width"] <= page.viewport_size["width"]

    page.locator(f"tr:has(a[href*='{task_id}']) td.field-prompt_excerpt a").click()
    expect(page).to_have_url(f"{live.url}/admin/videos/videojob/{task_id}/change/")
    # The page's buttons do not cover its title.
    title, tools = page.locator("#content h2").first.bounding_box(), page.locator(".object-tools").bounding_box()
    assert title["y"] + title["height"] <= tools["y"] or tools["y"] + tools["height"] <= title["y"], (title, tools)
    expect(page.locator(".cv-badge.cv-completed")).to_have_text("Completed")
    seed = api_status(page, live, task_id)["seed"]
    expect(page.locator("table.cv-params tr", has_text="seed").locator("td")).to_have_text(str(seed))
    playback = page.evaluate(PLAYBACK, "video.cv-player")
    assert playback.get("error") is None, playback
    assert playback["readyState"] >= 2 and not playback["paused"]
    assert advancing(playback["times"]), playback
    # Seeking works because the download answers Range requests.
    assert page.evaluate(
        """async () => { const v = document.querySelector('video.cv-player'); v.pause(); v.currentTime = 0.75;
        await new Promise(r => v.addEventListener('seeked', r, { once: true })); return v.currentTime; }"""
    ) == pytest.approx(0.75, abs=0.2)
    page.screenshot(path=str(ARTIFACTS / "admin-job.png"), full_page=True)


def test_gallery_hover_previews_play_plays_and_same_seed_again_reuses_the_video(studio: Page, live):
    task_id = getattr(studio, "finished_task", None)
    assert task_id, "needs the video of test_generate_watch_progress_and_play"
    page = studio
    page.goto(live.url + "/")
    card = page.locator(f".gallery-card[data-job-id='{task_id}']")
    # Hover shows the animated WebP preview in place of the poster, and the poster again after.
    poster = card.locator("img.gallery-poster")
    expect(card.locator("video")).to_be_hidden()
    poster.hover()
    expect(poster).to_have_attribute("src", re.compile(r"\?variant=preview$"))
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=poster.element_handle())
    page.mouse.move(0, 0)
    expect(poster).to_have_attribute("src", re.compile(r"\?variant=thumbnail$"))
    # Play loads and plays the MP4.
    card.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "(id) => { const v = document.querySelector(`.gallery-card[data-job-id='${id}'] video`);"
        " return !v.paused && v.readyState >= 2 && v.currentTime > 0; }",
        arg=task_id,
    )
    expect(card.get_by_role("button", name="Pause")).to_have_attribute("aria-pressed", "true")
    expect(poster).to_be_hidden()

    original = api_status(page, live, task_id)
    card.get_by_role("button", name="Same seed again").click()
    panel = page.locator("#job-panel")
    expect(panel).not_to_have_attribute("data-task-id", task_id)
    expect(panel).to_have_attribute("data-status", "completed")
    again = api_status(page, live, panel.get_attribute("data-task-id"))
    # Same parameters and seed: the service answers with the video already made.
    assert again["seed"] == original["seed"] and again["video_id"] == original["video_id"]
    expect(page.locator("#result-video")).to_have_attribute("src", original["video_url"])
    # The job's warnings reach the editor, not only the API.
    expect(page.locator("#job-warnings")).to_contain_text("it was reused")


def test_template_preview_in_the_admin_then_generate_from_it_in_the_studio(studio: Page, live):
    page = studio
    page.goto(f"{live.url}/admin/videos/prompttemplate/add/")
    page.get_by_label("Name:").fill("Product shot")
    page.get_by_label("Text:").fill("A {product} on a {surface}, soft studio light")
    page.get_by_label("Sample variables:").fill("product = red sneaker\nsurface = oak table")
    # The template's defaults are fields, not JSON.
    page.get_by_label("Duration (s):").fill("1")
    page.get_by_label("Resolution:", exact=True).fill("64x64")
    page.get_by_label("Steps:").fill("2")
    preview = page.locator("#cv-template-preview")
    expect(preview.locator(".cv-preview-text")).to_have_text("A red sneaker on a oak table, soft studio light")
    expect(preview.locator(".cv-warning")).to_have_count(0)
    # Too long for the model's 226 tokens: the preview warns while typing.
    page.get_by_label("Text:").fill("A {product} on a {surface}, " + "slow warm morning light over it, " * 60)
    expect(preview.locator(".cv-warning")).to_contain_text("only the first 226")
    page.get_by_label("Text:").fill("A {product} on a {surface}, soft studio light")
    expect(preview.locator(".cv-warning")).to_have_count(0)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(live.url + "/")
    page.get_by_label("Template", exact=True).select_option(label="Product shot")
    product = page.get_by_label("product", exact=True)
    expect(product).to_have_value("red sneaker")
    expect(page.get_by_label("surface", exact=True)).to_have_value("oak table")
    expect(page.get_by_label("Resolution", exact=True)).to_have_value("64x64")
    product.fill("blue kite")
    page.get_by_role("button", name="Generate").click()
    panel = page.locator("#job-panel")
    expect(panel).to_have_attribute("data-status", "completed", timeout=120_000)
    status = api_status(page, live, panel.get_attribute("data-task-id"))
    assert status["prompt"] == "A blue kite on a oak table, soft studio light"
    assert status["template"] == "product-shot" and status["variables"] == {
        "product": "blue kite",
        "surface": "oak table",
    }
    assert (status["resolution"], status["duration"], status["params"]["num_inference_steps"]) == ("64x64", 1, 2)


def test_cancel_a_second_job(studio: Page, live):
    page = studio
    page.goto(live.url + "/")
    cards_before = page.locator(".gallery-card").count()
    fill_slow_job(page, "A slow lighthouse beam sweeping over a stormy sea")
    page.get_by_role("button", name="Generate").click()
    panel = page.locator("#job-panel")
    expect(panel).to_have_attribute("data-status", re.compile("queued|processing"))
    task_id = panel.get_attribute("data-task-id")
    # One job at a time from the form: a second click cannot start a job the panel hides.
    expect(page.locator("#generate")).to_be_disabled()
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(panel).to_have_attribute("data-status", "canceled")
    expect(page.locator("#job-status")).to_have_text("Canceled.")
    expect(page.get_by_role("button", name="Cancel", exact=True)).to_be_hidden()
    expect(page.locator("#job-progress")).to_be_hidden()  # no part-filled bar for a canceled job
    expect(page.locator("#generate")).to_be_enabled()
    assert api_status(page, live, task_id)["status"] == "canceled"
    page.reload()
    assert page.locator(".gallery-card").count() == cards_before


def test_the_token_counter_and_the_advice_follow_the_typing(studio: Page, live):
    page = studio
    page.goto(live.url + "/")
    prompt = page.get_by_label("Prompt", exact=True)
    text = "A red fox running through fresh snow"
    prompt.fill(text)
    counted = page.request.post(live.url + "/api/prompt/check", data={"prompt": text},
                                headers={"X-CSRFToken": page.locator("#studio input[name=csrfmiddlewaretoken]").input_value()})  # fmt: skip
    assert counted.ok and counted.json()["counted_by"] == "tokenizer"
    # The model's own count, not "about": the tokenizer's.
    expect(page.locator("#prompt-count")).to_have_text(f"{counted.json()['tokens']} of 226 tokens.")
    expect(page.locator("#prompt-advice")).to_be_hidden()
    prompt.fill("A quiet misty forest at dawn, " * 20)
    expect(page.locator("#prompt-count")).to_contain_text("the model will cut the rest.")
    expect(page.locator("#prompt-advice")).to_contain_text("the model reads only the first 226")
    prompt.fill("一只红色的狐狸在雪地里奔跑")
    expect(page.locator("#prompt-advice")).to_contain_text("looks mostly non-English")
    page.screenshot(path=str(ARTIFACTS / "studio-prompt-advice.png"))
    # Sent anyway, the job carries the same advice, and the panel lists it.
    page.get_by_label("Resolution", exact=True).fill("64x64")
    page.get_by_text("Advanced").click()
    page.get_by_label("Steps", exact=True).fill("1")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#job-warnings")).to_contain_text("looks mostly non-English")
    expect(page.locator("#job-panel")).to_have_attribute("data-status", "completed", timeout=120_000)


def test_errors_are_shown_next_to_the_field(studio: Page, live):
    page = studio
    page.goto(live.url + "/")
    page.get_by_label("Prompt", exact=True).fill("A quiet harbour at dawn")
    page.get_by_label("Resolution", exact=True).fill("100x100")
    page.get_by_role("button", name="Generate").click()
    error = page.locator("#resolution-error")
    expect(error).to_contain_text("width 100 is not a multiple of 16")
    expect(page.get_by_label("Resolution", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-error")).to_have_text("The request has invalid fields.")


# Drops a file on an element as a user dragging it from the desktop would: a real drop event
# carrying a DataTransfer with the file.
DROP_FILE = """([selector, b64, name, type]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type }));
    const target = document.querySelector(selector);
    for (const kind of ["dragenter", "dragover", "drop"]) {
        target.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: transfer }));
    }
}"""


def drop_file(page: Page, selector: str, content: bytes, name: str, mime: str) -> None:
    page.evaluate(DROP_FILE, [selector, base64.b64encode(content).decode("ascii"), name, mime])


def test_animate_a_dropped_image_with_the_image_model(studio: Page, live):
    page = studio
    page.goto(live.url + "/")
    image_field = page.locator("#image-field")
    expect(image_field).to_be_hidden()  # the default, text-to-video model takes no image
    page.get_by_label("Model", exact=True).select_option("tiny-random-i2v")
    expect(image_field).to_be_visible()
    # The model's own choices replace the text model's.
    i2v = next(m for m in page.request.get(live.url + "/api/models").json()["models"] if m["id"] == "tiny-random-i2v")
    durations = page.locator("#duration option").evaluate_all("options => options.map(o => Number(o.value))")
    assert durations == i2v["durations"]
    expect(page.get_by_label("Resolution", exact=True)).to_have_value(i2v["default_resolution"])
    # A type the model does not take is refused in the page, before anything is sent.
    drop_file(page, "#image-drop", solid_png(fmt="GIF"), "moving.gif", "image/gif")
    expect(page.locator("#image-error")).to_have_text("moving.gif is not a PNG, JPEG or WebP image.")
    expect(page.locator("#image-preview")).to_be_hidden()
    # Generate without an image: the service's own message, next to the image.
    page.get_by_label("Prompt", exact=True).fill("The lighthouse light starts to turn")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#image-error")).to_contain_text("is an image-to-video model: give an image")
    # A picture dropped from the desktop is shown beside the prompt and sent as a file.
    picture = solid_png((0, 90, 200), size=(96, 64))
    drop_file(page, "#image-drop", picture, "lighthouse.png", "image/png")
    preview = page.locator("#image-preview")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])") == [96, 64]
    expect(page.locator("#image-name")).to_contain_text("lighthouse.png")
    expect(page.locator("#image-error")).to_have_text("")
    page.get_by_label("Duration", exact=True).select_option(str(i2v["durations"][0]))
    page.get_by_text("Advanced").click()
    page.get_by_label("Steps", exact=True).fill("2")
    page.screenshot(path=str(ARTIFACTS / "studio-image-to-video.png"), full_page=True)
    page.get_by_role("button", name="Generate").click()
    panel = page.locator("#job-panel")
    expect(panel).to_have_attribute("data-status", "completed", timeout=120_000)
    job = api_status(page, live, panel.get_attribute("data-task-id"))
    assert job["model"] == "tiny-random-i2v"
    assert job["params"]["image"]["source"] == "upload"
    assert job["params"]["image"]["sha256"] == hashlib.sha256(picture).hexdigest()
    assert page.request.get(job["input_image_url"]).body() == picture
    assert advancing(page.evaluate(PLAYBACK, "#result-video")["times"])
    # Chosen with the file picker instead, then removed: the field is empty again.
    page.locator("#image").set_input_files(
        files=[{"name": "red.jpg", "mimeType": "image/jpeg", "buffer": solid_png(fmt="JPEG")}]
    )
    expect(page.locator("#image-name")).to_contain_text("red.jpg")
    page.get_by_role("button", name="Remove").click()
    expect(preview).to_be_hidden()
    assert page.locator("#image").evaluate("input => input.files.length") == 0


def test_phone_sized_layout(chromium, studio: Page, live):
    phone = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        storage_state=studio.context.storage_state(),  # the same signed-in session
    )
    page = phone.new_page()
    page.goto(live.url + "/")
    expect(page.get_by_role("button", name="Generate")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.get_by_label("Prompt", exact=True).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(ARTIFACTS / "studio-phone.png"), full_page=True)
    phone.close()


def test_login_refuses_a_wrong_password(chromium, live):
    context = chromium.new_context()
    page = context.new_page()
    page.goto(live.url + "/login/")
    page.get_by_label("Username", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    assert httpx.get(live.url + "/", follow_redirects=False).status_code == 302
    context.close()
