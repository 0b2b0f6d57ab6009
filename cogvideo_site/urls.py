from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("videos.api.urls")),
    path("admin/", admin.site.urls),
    path("integrations/", include("cms_integration.urls")),  # the JS client's example page
    path("", include("videos.studio.urls")),  # the web studio at /
    path("", include("monitoring.urls")),  # /metrics (Prometheus)
]
