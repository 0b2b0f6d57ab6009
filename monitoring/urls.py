from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^metrics/?$", views.metrics_view, name="metrics"),
]
