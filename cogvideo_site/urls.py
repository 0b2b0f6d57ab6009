from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from monitoring.views import readiness_view

urlpatterns = [
    # Readiness (monitoring/) under /api/ beside the API's own health check; routed here
    # because the videos app does not import monitoring. No trailing slash, one tolerated.
    re_path(r"^api/health/ready/?$", readiness_view, name="api-health-ready"),
    path("api/", include("videos.api.urls")),
    path("admin/", admin.site.urls),
    path("integrations/", include("cms_integration.urls")),  # the JS client's example page
    path("", include("videos.studio.urls")),  # the web studio at /
    path("", include("monitoring.urls")),  # /metrics (Prometheus)
    # Browsers ask for /favicon.ico on pages that do not name an icon (the admin, the API docs).
    path("favicon.ico", RedirectView.as_view(url=static("videos/favicon.svg"), permanent=True), name="favicon"),
]

handler404 = "videos.error_pages.page_not_found"
handler500 = "videos.error_pages.server_error"
