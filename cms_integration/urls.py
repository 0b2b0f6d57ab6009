from django.urls import path

from . import views

# Mounted at /integrations/ by cogvideo_site/urls.py.
urlpatterns = [
    path("example", views.ExampleView.as_view(), name="integrations-example"),
]
