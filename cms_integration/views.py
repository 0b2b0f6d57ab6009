"""The example page that shows the browser client (video-generator.js) at work."""

from __future__ import annotations

from django.views.generic import TemplateView


class ExampleView(TemplateView):
    """/integrations/example: a form that generates a video through VideoGenerator.

    Public on purpose: it holds no data and no secret; the visitor pastes their
    own API token, which stays in the browser (sessionStorage).
    """

    template_name = "cms_integration/example.html"
