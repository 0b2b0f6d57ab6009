"""The admin site: Django's, plus members of the "Editors" group may sign in without being
staff. `is_staff` keeps its meaning everywhere else (the API and videos/access.py): staff
see every job. Editors get only the permissions of their group (see the migration
0002_editors_group) and, through access.jobs_visible_to, only their own jobs."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

EDITORS_GROUP = "Editors"


def is_editor(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_is_editor", None)
    if cached is None:
        cached = user.groups.filter(name=EDITORS_GROUP).exists()
        user._is_editor = cached  # one query per request, not one per permission check
    return cached


class StudioAdminSite(AdminSite):
    site_header = "CogVideoX Studio administration"
    site_title = "CogVideoX Studio"
    index_title = "Videos, templates and workers"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and (user.is_staff or is_editor(user)))


class StudioAdminConfig(AdminConfig):
    default_site = "videos.admin_site.StudioAdminSite"
