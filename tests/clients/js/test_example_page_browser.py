"""/integrations/example, served by the service, driven in headless Chromium: a visitor
pastes a token, generates a video and watches it play."""

from __future__ import annotations

import pytest
from cogvideo_client import CogVideoClient

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def example(chromium, live):
    context = chromium.new_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(error))
    response = page.goto(f"{live.url}/integrations/example")
    assert response.status == 200
    yield page
    context.close()


def test_example_page_generates_and_plays_a_video(example, live, live_tokens):
    page = example
    assert page.input_value("#endpoint") == live.url  # defaults to the serving origin
    page.fill("#token", live_tokens["owner"])
    page.fill("#prompt", "a lighthouse beam sweeping over a dark sea")
    page.select_option("#duration", "1")
    page.fill("#resolution", "64x64")
    page.fill("#steps", "2")
    page.click("#generate")

    page.wait_for_selector("#status[data-status='completed']", timeout=120_000)
    page.wait_for_selector("#video:not([hidden])", timeout=30_000)
    video_id = page.get_attribute("#status", "data-video-id")
    task_id = page.get_attribute("#status", "data-task-id")
    assert page.eval_on_selector("#video", "v => v.src.startsWith('blob:')")
    assert page.eval_on_selector("#progress", "p => p.value") == 100
    with CogVideoClient(live.url, live_tokens["owner"]) as client:
        assert client.status(task_id).video_id == video_id
    assert page.text_content("#error") == ""
    assert page.errors == []


def test_example_page_shows_field_errors_and_auth_errors(example, live, live_tokens):
    page = example
    page.fill("#token", live_tokens["owner"])
    page.fill("#resolution", "65x65")
    page.click("#generate")
    page.wait_for_selector("#error[data-error-name='ValidationError']", timeout=30_000)
    assert "resolution:" in page.text_content("#error")

    page.fill("#token", "not-a-token")
    page.fill("#resolution", "64x64")
    page.click("#generate")
    page.wait_for_selector("#error[data-error-name='AuthError']", timeout=30_000)
    assert page.is_enabled("#generate")
