"""The studio's queue panel, history and variations (issue 17) in real headless Chromium
against the live service: two jobs in the queue panel, one canceled from it (then the other);
a set of 3 variations with distinct seeds, all completed and shown side by side; a history
entry found by search, loaded into the form and generated again, its permalink, and Delete.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_studio_browser as base
from tests.browser.test_studio_browser import PLAYBACK, advancing, api_status, fill_slow_job
from tests.support.live import ARTIFACTS

pytestmark = [pytest.mark.live, pytest.mark.browser]

# The same fixtures as the studio's module: a Chromium per module, signed in through the form.
chromium = base.chromium
studio = base.studio

VARIATION_PROMPT = "Three paper lanterns drifting over a night river, variation test"
SETTINGS = ("prompt", "negative_prompt", "model", "seed", "duration", "resolution")
PARAMS = ("fit", "fps", "num_inference_steps", "guidance_scale", "enhance_quality", "width", "height")


def fill_tiny_job(page: Page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_label("Duration", exact=True).select_option("1")
    page.get_by_label("Resolution", exact=True).fill("64x64")
    page.get_by_text("Advanced").click()
    page.get_by_label("Steps", exact=True).fill("1")


def test_queue_panel_shows_two_jobs_and_cancels_one_from_it(studio: Page, live):
    ARTIFACTS.mkdir(exist_ok=True)
    page = studio
    page.goto(live.url + "/")
    expect(page.locator("#queue-summary")).to_have_text("Nothing queued or running.")
    fill_slow_job(page, "A slow queue of sailboats waiting at the harbour mouth")
    page.get_by_label("Variations", exact=True).select_option("2")
    page.get_by_role("button", name="Generate").click()

    rows = page.locator("#queue-list .queue-row")
    expect(rows).to_have_count(2)
    expect(page.locator("#queue-summary")).to_have_text(re.compile(r"^(1 running, 1 queued|2 queued)\.$"))
    # The last row waits behind the first: its position is shown (the first may be running).
    last = rows.nth(1)
    expect(last.locator(".queue-facts")).to_contain_text(re.compile(r"tiny-random · Queued, position \d+"))
    expect(rows.first.locator(".queue-prompt")).to_have_text("A slow queue of sailboats waiting at the harbour mouth")
    ids = [row.get_attribute("data-task-id") for row in rows.all()]
    page.screenshot(path=str(ARTIFACTS / "studio-queue.png"), full_page=True)

    # Cancel the waiting one from its row: it leaves the queue, the other stays.
    last.get_by_role("button", name=re.compile("^Cancel job: A slow queue")).click()
    expect(page.locator("#queue-note")).to_have_text(re.compile("^Canceled: A slow queue"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-task-id", ids[0])
    assert api_status(page, live, ids[1])["status"] == "canceled"
    assert api_status(page, live, ids[0])["status"] in {"queued", "processing"}
    page.screenshot(path=str(ARTIFACTS / "studio-queue-one-canceled.png"), full_page=True)
    # And the first too, so the worker is free for the next tests.
    rows.first.get_by_role("button", name=re.compile("^Cancel job")).click()
    expect(rows).to_have_count(0)
    expect(page.locator("#queue-summary")).to_have_text("Nothing queued or running.")
    assert api_status(page, live, ids[0])["status"] == "canceled"
    # The variations strip followed both to the end; Generate is back.
    expect(page.locator(".variation[data-status='canceled']")).to_have_count(2)
    expect(page.locator("#generate")).to_be_enabled()


def test_a_set_of_three_variations_side_by_side(studio: Page, live):
    page = studio
    page.goto(live.url + "/")
    fill_tiny_job(page, VARIATION_PROMPT)
    page.get_by_label("Variations", exact=True).select_option("3")
    page.get_by_role("button", name="Generate").click()
    cards = page.locator("#variation-strip .variation")
    expect(cards).to_have_count(3)
    expect(page.locator("#generate")).to_be_disabled()  # the set is followed to its end
    for index in range(3):
        expect(cards.nth(index)).to_have_attribute("data-status", "completed", timeout=120_000)
    expect(page.locator("#variations-status")).to_have_text("3 variations finished: 3 completed.")
    jobs = [api_status(page, live, card.get_attribute("data-task-id")) for card in cards.all()]
    seeds = [job["seed"] for job in jobs]
    assert len(set(seeds)) == 3, seeds
    assert [card.get_attribute("data-seed") for card in cards.all()] == [str(seed) for seed in seeds]
    assert {
        (job["status"], job["prompt"], job["resolution"], job["params"]["num_inference_steps"]) for job in jobs
    } == {("completed", VARIATION_PROMPT, "64x64", 1)}
    assert len({job["video_id"] for job in jobs}) == 3  # three videos, not one reused
    # Side by side: one row, left to right.
    boxes = [card.bounding_box() for card in cards.all()]
    assert len({round(box["y"]) for box in boxes}) == 1 and boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"], boxes
    for index in range(3):
        playback = page.evaluate(PLAYBACK, f"#variation-strip .variation:nth-child({index + 1}) video")
        assert playback.get("error") is None and advancing(playback["times"]), playback
        assert playback["src"] == jobs[index]["video_url"]
    expect(page.locator(".gallery-card").first).to_have_attribute("data-job-id", jobs[-1]["task_id"])
    page.screenshot(path=str(ARTIFACTS / "studio-variations.png"), full_page=True)
    studio.variation_jobs = jobs


def test_history_search_use_these_settings_regenerate_permalink_and_delete(studio: Page, live):
    jobs = getattr(studio, "variation_jobs", None)
    assert jobs, "needs the videos of test_a_set_of_three_variations_side_by_side"
    page = studio
    page.goto(live.url + "/")
    page.get_by_label("Search prompts", exact=True).fill("paper lanterns")
    page.get_by_role("button", name="Search", exact=True).click()
    cards = page.locator(".gallery-card")
    expect(cards).to_have_count(3)
    expect(page.locator("#gallery-status")).to_have_text("3 videos on this page match.")
    page.get_by_label("Search prompts", exact=True).fill("no such zebra")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(cards).to_have_count(0)
    page.get_by_label("Search prompts", exact=True).fill("paper lanterns")
    page.get_by_role("button", name="Search", exact=True).click()

    original = jobs[0]
    card = page.locator(f".gallery-card[data-job-id='{original['task_id']}']")
    expect(card.get_by_role("link", name="Download")).to_have_attribute(
        "download", f"three-paper-lanterns-drifting-over-a-night-river-variation-{original['seed']}.mp4"
    )
    card.get_by_role("button", name="Use these settings").click()
    expect(page.locator("#form-note")).to_have_text(re.compile("^Settings loaded from: Three paper lanterns"))
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(VARIATION_PROMPT)
    expect(page.get_by_label("Seed (optional)", exact=True)).to_have_value(str(original["seed"]))
    expect(page.get_by_label("Steps", exact=True)).to_have_value("1")
    expect(page.get_by_label("Resolution", exact=True)).to_have_value("64x64")
    expect(page.get_by_label("Variations", exact=True)).to_have_value("1")
    page.screenshot(path=str(ARTIFACTS / "studio-use-settings.png"), full_page=True)
    page.get_by_role("button", name="Generate").click()
    panel = page.locator("#job-panel")
    expect(panel).not_to_have_attribute("data-task-id", original["task_id"])
    expect(panel).to_have_attribute("data-status", "completed", timeout=60_000)
    again = api_status(page, live, panel.get_attribute("data-task-id"))
    assert again["task_id"] != original["task_id"]
    assert {name: again[name] for name in SETTINGS} == {name: original[name] for name in SETTINGS}
    assert {name: again["params"][name] for name in PARAMS} == {name: original["params"][name] for name in PARAMS}

    # The permalink: the video with its settings; its "Use these settings" fills the form too.
    other = jobs[1]
    page.locator(f".gallery-card[data-job-id='{other['task_id']}']").get_by_role("link", name="Link").click()
    expect(page).to_have_url(f"{live.url}/videos/{other['video_id']}")
    expect(page.locator("table.settings tr", has_text="Seed").locator("td")).to_have_text(str(other["seed"]))
    playback = page.evaluate(PLAYBACK, "#permalink-video")
    assert playback.get("error") is None and advancing(playback["times"]), playback
    page.screenshot(path=str(ARTIFACTS / "studio-permalink.png"), full_page=True)
    page.get_by_role("link", name="Use these settings").click()
    expect(page).to_have_url(live.url + "/")
    expect(page.get_by_label("Seed (optional)", exact=True)).to_have_value(str(other["seed"]))

    # Delete, after the page asks: the card and the file are gone.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f".gallery-card[data-job-id='{other['task_id']}']").get_by_role("button", name="Delete").click()
    expect(page.locator("#gallery-status")).to_have_text(re.compile("^Deleted: Three paper lanterns"))
    expect(page.locator(f".gallery-card[data-job-id='{other['task_id']}']")).to_have_count(0)
    assert page.request.get(other["video_url"]).status == 404
    assert page.request.get(other["status_url"]).status == 404
    # The one just answered again (same request, reused) stays, and says why.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f".gallery-card[data-job-id='{original['task_id']}']").get_by_role("button", name="Delete").click()
    expect(page.locator("#gallery-status")).to_contain_text("also the answer of 1 other job")
    assert page.request.get(original["video_url"]).status == 200
