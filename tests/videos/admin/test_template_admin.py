"""Prompt templates in the admin: validation on save, a live preview of the rendered prompt
with warnings (too long for the model's 226 tokens, mostly non-English)."""

from __future__ import annotations

from videos.models import PromptTemplate

PREVIEW_URL = "/admin/videos/prompttemplate/preview/"
ADD_URL = "/admin/videos/prompttemplate/add/"


def form_data(**overrides) -> dict:
    data = {
        "name": "Product shot",
        "slug": "product-shot",
        "text": "A {product} on a wooden table, soft light",
        "sample_variables": "product = red sneaker",
        "default_negative_prompt": "blurry",
        "default_duration": "2",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_preview_renders_with_sample_variables(editor_client):
    result = editor_client.post(
        PREVIEW_URL, {"text": "A {product} at sunset", "sample_variables": '{"product": "kite"}'}
    ).json()
    assert result["prompt"] == "A kite at sunset"
    assert result["placeholders"] == ["product"]
    assert result["warnings"] == [] and result["error"] is None
    assert 0 < result["estimated_tokens"] < 20 and result["token_limit"] == 226


def test_preview_warns_when_the_prompt_is_too_long(editor_client):
    long_text = "A {subject} " + " ".join(["walking slowly through a quiet misty forest at dawn"] * 30)
    result = editor_client.post(PREVIEW_URL, {"text": long_text, "sample_variables": '{"subject": "deer"}'}).json()
    assert result["estimated_tokens"] > 226
    assert any("only the first 226" in warning for warning in result["warnings"])


def test_preview_warns_when_the_prompt_is_not_english(editor_client):
    result = editor_client.post(
        PREVIEW_URL, {"text": "一只{animal}在雪地里奔跑，阳光明媚", "sample_variables": '{"animal": "狐狸"}'}
    ).json()
    assert any("non-English" in warning for warning in result["warnings"])


def test_preview_reports_template_problems(editor_client):
    missing = editor_client.post(PREVIEW_URL, {"text": "A {product} on {surface}", "sample_variables": "{}"}).json()
    assert missing["error"] == "Missing variables: product, surface."
    unsafe = editor_client.post(PREVIEW_URL, {"text": "A {x.__class__}", "sample_variables": "{}"}).json()
    assert "must be a plain name" in unsafe["error"]
    bad_json = editor_client.post(PREVIEW_URL, {"text": "A", "sample_variables": "{nope"}).json()
    assert bad_json["error"] == "Sample variables are not valid JSON."
    lines = editor_client.post(PREVIEW_URL, {"text": "A {x} on {y}", "sample_variables": "x = fox\ny = ice"}).json()
    assert lines["prompt"] == "A fox on ice" and lines["error"] is None


def test_preview_needs_the_admin(client, db):
    response = client.post(PREVIEW_URL, {"text": "A"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_editor_saves_a_template_and_the_page_shows_the_preview(editor_client):
    response = editor_client.post(ADD_URL, form_data())
    assert response.status_code == 302
    template = PromptTemplate.objects.get(slug="product-shot")
    assert template.default_params == {"duration": 2} and template.sample_variables == {"product": "red sneaker"}
    html = editor_client.get(f"/admin/videos/prompttemplate/{template.pk}/change/").content.decode()
    assert "A red sneaker on a wooden table, soft light" in html
    assert 'id="cv-template-preview"' in html and "videos/template_preview.js" in html


def test_saving_a_long_template_warns(editor_client):
    text = "A {product} " + " ".join(["on a wooden table in soft warm morning light"] * 40)
    response = editor_client.post(ADD_URL, form_data(text=text), follow=True)
    assert "only the first 226" in response.content.decode()
    assert PromptTemplate.objects.filter(slug="product-shot").exists()  # a warning, not an error


def test_defaults_are_fields_checked_by_the_apis_validator(editor_client):
    fields = form_data(
        sample_variables="product = red sneaker\nsurface: oak table",
        default_resolution="64x64",
        default_fit="pad",
        default_fps="16",
        default_quality="draft",
        default_steps="2",
        default_guidance="5.5",
    )
    assert editor_client.post(ADD_URL, fields).status_code == 302
    template = PromptTemplate.objects.get(slug="product-shot")
    assert template.sample_variables == {"product": "red sneaker", "surface": "oak table"}
    assert template.default_params == {
        "duration": 2, "resolution": "64x64", "fit": "pad", "fps": 16, "enhance_quality": False,
        "num_inference_steps": 2, "guidance_scale": 5.5,
    }  # fmt: skip
    # The change page shows them as fields again, not JSON.
    html = editor_client.get(f"/admin/videos/prompttemplate/{template.pk}/change/").content.decode()
    assert 'name="default_resolution" value="64x64"' in html and '<option value="pad" selected>' in html
    assert "product = red sneaker\nsurface = oak table</textarea>" in html
    assert '{"duration"' not in html


def test_bad_defaults_and_placeholders_are_rejected(editor_client):
    response = editor_client.post(ADD_URL, form_data(default_fps="17"))
    assert "Select a valid choice. 17 is not one of the available choices." in response.content.decode()
    response = editor_client.post(ADD_URL, form_data(default_duration="9"))
    assert "Must be a whole number of seconds from 1 to 6" in response.content.decode()
    response = editor_client.post(ADD_URL, form_data(default_resolution="100x100"))
    assert "not a multiple of 16" in response.content.decode()
    response = editor_client.post(ADD_URL, form_data(sample_variables="just words"))
    assert "Line 1: write name = value." in response.content.decode()
    response = editor_client.post(ADD_URL, form_data(text="A {product!r}"))
    assert "must be a plain name" in response.content.decode()
    assert not PromptTemplate.objects.exists()


def test_editor_cannot_delete_templates(editor_client):
    template = PromptTemplate.objects.create(slug="keep", name="Keep", text="A")
    assert editor_client.post(f"/admin/videos/prompttemplate/{template.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PromptTemplate.objects.filter(pk=template.pk).exists()


def test_editors_see_how_often_a_templates_jobs_succeed(editor, editor_client):
    from tests.videos.factories import make_job
    from videos import services, worker

    template = PromptTemplate.objects.create(slug="kite", name="Kite", text="A {thing} in the wind")
    for thing in ("kite", "flag"):
        make_job(editor, template="kite", variables={"thing": thing})
        worker.run_next_job()  # the real tiny pipeline: completed
    make_job(editor, template="kite", variables={"thing": "sail"})
    services.fail_job(services.claim_next_job("test-worker"), "generation_failed", "It broke.")
    services.cancel_job(make_job(editor, template="kite", variables={"thing": "hat"}))  # says nothing
    listing = editor_client.get("/admin/videos/prompttemplate/").content.decode()
    assert "Jobs finished (succeeded)" in listing and "3 (2 succeeded, 67 %)" in listing
    page = editor_client.get(f"/admin/videos/prompttemplate/{template.pk}/change/").content.decode()
    assert "3 (2 succeeded, 67 %)" in page
