"""The OpenAPI schema: committed copy up to date, docs served offline, and a property-based
run (schemathesis) of generated requests against a real server: no 5xx, responses conform
to the schema, every error in the one JSON shape."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.live import ROOT, LiveService
from videos.api.serializers import GENERATE_EXAMPLE

COMMITTED = ROOT / "docs" / "openapi.yaml"


def test_committed_schema_matches_the_code():
    out = io.StringIO()
    call_command("spectacular", "--validate", stdout=out)
    assert out.getvalue() == COMMITTED.read_text(), (
        "docs/openapi.yaml is stale: run `.venv/bin/python manage.py spectacular --file docs/openapi.yaml`"
    )


def test_swagger_ui_is_served_from_local_static_files(live):
    page = httpx.get(live.url + "/api/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assert "cdn" not in page.text.lower() and "unpkg" not in page.text.lower()
    scripts = [part.split('"')[0] for part in page.text.split('src="')[1:]]
    assert scripts, page.text
    for src in scripts:
        assert src.startswith("/static/"), src
        assert httpx.get(live.url + src).status_code == 200, src
    schema = httpx.get(live.url + "/api/schema", params={"format": "json"}).json()
    assert "/api/generate" in schema["paths"] and "/api/status/{task_id}" in schema["paths"]


def test_the_schema_closes_the_generate_body_as_the_server_does(owner_api):
    """What the schema forbids the server refuses, and the other way round: extra fields and a
    null metadata (the schema once allowed both)."""
    from drf_spectacular.generators import SchemaGenerator

    body = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]["GenerateRequestRequest"]
    assert body["additionalProperties"] is False
    assert body["properties"]["metadata"]["type"] == "object" and not body["properties"]["metadata"].get("nullable")
    tiny = {"prompt": "a fox", "duration": 1, "resolution": "64x64"}
    for wrong, field in (({"extra": 1}, "extra"), ({"metadata": None}, "metadata"), ({"metadata": [1]}, "metadata")):
        response = owner_api.post("/api/generate", {**tiny, **wrong}, format="json")
        assert response.status_code == 400 and field in response.json()["error"]["fields"], response.json()
    assert owner_api.post("/api/generate", {**tiny, "metadata": {"post": 7}}, format="json").status_code == 200


def test_swaggers_try_it_out_body_is_accepted_and_the_schema_has_ranges(owner_api):
    """Swagger UI fills "Try it out" with the operation's first example: it must be a request
    the service takes as it is, and the numeric fields say their ranges."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    json_body = schema["paths"]["/api/generate"]["post"]["requestBody"]["content"]["application/json"]
    first = next(iter(json_body["examples"].values()))["value"]
    response = owner_api.post("/api/generate", first, format="json")
    assert response.status_code == 200, response.content
    fields = schema["components"]["schemas"]["GenerateRequestRequest"]["properties"]
    assert (fields["seed"]["minimum"], fields["seed"]["maximum"]) == (0, 2**32 - 1)
    assert (fields["guidance_scale"]["minimum"], fields["guidance_scale"]["maximum"]) == (1.0, 20.0)
    assert fields["num_inference_steps"]["minimum"] == 1 and fields["duration"]["minimum"] == 1
    form = schema["paths"]["/api/generate"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert form["schema"]["$ref"].endswith("GenerateFormRequestRequest")
    image = schema["components"]["schemas"]["GenerateFormRequestRequest"]["properties"]["image"]
    assert (image["type"], image["format"]) == ("string", "binary")


@pytest.fixture(scope="module")
def fuzz_service(session_dir: Path):
    # Web only: generated jobs stay queued instead of keeping the GPU (here: the CPU) busy.
    rates = {"COGVIDEO_THROTTLE_BURST": "100000/minute", "COGVIDEO_THROTTLE_GENERATE": "100000/minute"}
    service = LiveService(session_dir / "fuzz", cluster=False, extra_env=rates).start()
    service.token = service.create_token("fuzzer")
    yield service
    service.stop()


def one_error_shape(response) -> None:
    content_type = response.headers.get("content-type", "")
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if response.status_code >= 400 and content_type.startswith("application/json"):
        body = response.json()
        assert set(body) == {"error"}, body
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body


EXAMPLES_PER_OPERATION = 150


@pytest.mark.live
def test_generated_requests_never_break_the_api(fuzz_service):
    api = schemathesis.openapi.from_url(fuzz_service.url + "/api/schema?format=json")
    headers = {"Authorization": f"Bearer {fuzz_service.token}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    sent: dict[str, int] = {}
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            response = case.call_and_validate(headers=headers, checks=checks)
            one_error_shape(response)
            sent[case.operation.label] = sent.get(case.operation.label, 0) + 1

        exercise()
    assert "POST /api/generate" in sent and "GET /api/status/{task_id}" in sent
    assert sum(sent.values()) >= 1000, sent


NEGATIVE_EXAMPLES = 25


@pytest.mark.live
def test_generated_requests_never_break_the_api_with_invalid_bodies(fuzz_service):
    """Bodies that break the schema (wrong types, extra fields, nulls): every one is refused
    with a 4xx in the one error shape, never accepted and never a 5xx. Bounded: one operation,
    NEGATIVE_EXAMPLES cases. Refusal is asserted for JSON bodies; a multipart form's fields are
    text, read as their JSON values (videos/api/form_requests.py), so "a string where a number
    goes" is not a wrong type there (`duration=5` is how a form says 5): forms are only held
    to no 5xx and the error shape. The schema's own examples (valid by design, which
    schemathesis sends in every mode) are left out."""
    api = schemathesis.openapi.from_url(fuzz_service.url + "/api/schema?format=json")
    operation = api["/api/generate"]["POST"]
    headers = {"Authorization": f"Bearer {fuzz_service.token}"}
    sent = []

    examples = [GENERATE_EXAMPLE]

    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    @settings(max_examples=NEGATIVE_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def exercise(case):
        is_json = case.media_type == "application/json" and case.body not in examples
        checks = [not_a_server_error, negative_data_rejection] if is_json else [not_a_server_error]
        response = case.call_and_validate(headers=headers, checks=checks)
        one_error_shape(response)
        if is_json:
            sent.append((response.status_code, case.body))

    exercise()
    wrong = [entry for entry in sent if not 400 <= entry[0] < 500]
    assert len(sent) >= NEGATIVE_EXAMPLES // 4 and not wrong, wrong
