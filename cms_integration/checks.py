"""A system check: the JavaScript client's global build, which this app's URLs promise, exists."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register()
def js_client_built(app_configs, **kwargs):
    built = settings.JS_CLIENT_DIR / "dist" / "video-generator.global.js"
    if built.exists():
        return []
    return [
        Warning(
            f"{built} is missing, so /static/cms_integration/video-generator.global.js answers 404.",
            hint="Run `python3 clients/js/build.py` (launch.py runs it before starting the service).",
            id="cms_integration.W001",
        )
    ]
