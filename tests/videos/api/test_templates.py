"""GET /api/templates: active prompt templates, for any signed-in caller."""

from __future__ import annotations

from videos.models import PromptTemplate


def test_lists_active_templates_with_their_placeholders(owner_api):
    PromptTemplate.objects.create(
        slug="product",
        name="Product",
        text="A {product} on a {surface}",
        sample_variables={"product": "shoe", "surface": "table"},
        default_params={"duration": 2},
        default_negative_prompt="blurry",
    )
    PromptTemplate.objects.create(slug="old", name="Old", text="retired", is_active=False)
    response = owner_api.get("/api/templates")
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "slug": "product",
                "name": "Product",
                "text": "A {product} on a {surface}",
                "placeholders": ["product", "surface"],
                "sample_variables": {"product": "shoe", "surface": "table"},
                "default_negative_prompt": "blurry",
                "default_params": {"duration": 2},
            }
        ]
    }


def test_a_listed_template_generates(owner_api):
    PromptTemplate.objects.create(slug="product", name="Product", text="A {product}")
    slug = owner_api.get("/api/templates").json()["results"][0]["slug"]
    response = owner_api.post(
        "/api/generate",
        {"template": slug, "variables": {"product": "kite"}, "duration": 1, "resolution": "64x64"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["prompt"] == "A kite"


def test_needs_authentication(anon_api):
    response = anon_api.get("/api/templates")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
