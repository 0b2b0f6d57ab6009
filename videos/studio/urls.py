from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.studio, name="studio"),
    path("login/", views.StudioLoginView.as_view(), name="studio-login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="studio-login"), name="studio-logout"),
    path("studio/gallery", views.gallery, name="studio-gallery"),
    path("studio/generate", views.StudioGenerateView.as_view(), name="studio-generate"),
    path("studio/jobs/<uuid:job_id>/rerun", views.StudioRerunView.as_view(), name="studio-rerun"),
    path("studio/queue", views.queue, name="studio-queue"),
    path("studio/videos/<uuid:video_id>/delete", views.StudioDeleteVideoView.as_view(), name="studio-delete-video"),
    path("videos/<uuid:video_id>", views.video_page, name="studio-video"),
]
