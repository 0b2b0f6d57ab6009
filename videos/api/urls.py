from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views
from .templates_view import TemplateListView
from .tokens_view import ScopedTokenCreateView

# Paths have no trailing slash; a trailing slash is tolerated rather than redirected,
# because a redirect would turn a client's POST into a GET. /api/health/ready belongs to
# monitoring and is routed in cogvideo_site/urls.py: videos does not import monitoring.
urlpatterns = [
    re_path(r"^generate/?$", views.GenerateView.as_view(), name="api-generate"),
    re_path(r"^status/(?P<task_id>[^/]+)/?$", views.StatusView.as_view(), name="api-status"),
    re_path(r"^cancel/(?P<task_id>[^/]+)/?$", views.CancelView.as_view(), name="api-cancel"),
    re_path(r"^download/(?P<video_id>[^/]+)/?$", views.DownloadView.as_view(), name="api-download"),
    re_path(r"^system/status/?$", views.SystemStatusView.as_view(), name="api-system-status"),
    re_path(r"^models/?$", views.ModelListView.as_view(), name="api-models"),
    re_path(r"^prompt/check/?$", views.PromptCheckView.as_view(), name="api-prompt-check"),
    re_path(r"^health/?$", views.HealthView.as_view(), name="api-health"),
    re_path(r"^templates/?$", TemplateListView.as_view(), name="api-templates"),
    re_path(r"^tasks/?$", views.TaskListView.as_view(), name="api-tasks"),
    re_path(r"^tasks/(?P<task_id>[^/]+)/image/?$", views.TaskImageView.as_view(), name="api-task-image"),
    re_path(
        r"^tasks/(?P<task_id>[^/]+)/live-preview/?$", views.TaskLivePreviewView.as_view(), name="api-task-live-preview"
    ),
    re_path(r"^tokens/scoped/?$", ScopedTokenCreateView.as_view(), name="api-scoped-tokens"),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="api-schema"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
