"""OpenAPI generation hooks (drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def only_public_api(endpoints):
    """Document the public API only, with its canonical paths: no trailing slash (the URL
    patterns tolerate one, see videos/api/urls.py)."""
    seen = set()
    result = []
    for path, path_regex, method, callback in endpoints:
        if not path.startswith("/api/"):
            continue
        path = path.rstrip("/")
        if (path, method) in seen:
            continue
        seen.add((path, method))
        result.append((path, path_regex, method, callback))
    return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "videos.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "API token: `Authorization: Bearer <token>` (account `cvk_…`, or a scoped browser token `cvs_…`)",
        }


# Request bodies whose validator refuses fields it does not know (job_specs.parse_generate_request):
# the schema says so, so generated clients and fuzzers know an extra field is an error.
CLOSED_REQUEST_BODIES = ("GenerateRequestRequest", "GenerateFormRequestRequest", "PromptCheckRequestRequest")


def close_request_bodies(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    for name in CLOSED_REQUEST_BODIES:
        if name in schemas:
            schemas[name]["additionalProperties"] = False
    return result


def document_common_errors(result, generator, request, public):
    """Every authenticated operation can answer 401 (bad token) and 429 (rate limit), and every
    one that takes input 400, all in the one error shape: say so once here, not on each view."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            secured = operation.get("security") not in (None, [], [{}])
            takes_input = bool(operation.get("requestBody")) or any(
                parameter.get("in") in {"query", "header"} for parameter in operation.get("parameters", [])
            )
            for status, text, applies in (
                ("400", "Invalid input", takes_input),
                ("401", "Missing or invalid token", secured),
                ("429", "Rate limited; see Retry-After", secured),
            ):
                if applies:
                    operation["responses"].setdefault(status, {**error, "description": text})
    return result
